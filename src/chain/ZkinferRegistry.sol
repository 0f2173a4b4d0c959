// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// The interface every zkinfer model contract (ZkinferModel.sol, generated per model) implements.
interface IZkinferModel {
    function MODEL_ID() external view returns (bytes32);
    function VK_HASH() external view returns (bytes32);
    /// prover: the address the proof names (its prover public signal), or 0 when the circuit binds no prover.
    function verifySignals(uint256[8] calldata proof, uint256[] calldata publicSignals)
        external view returns (bool ok, bytes32 inputRef, bytes32 outputsHash, address prover);
}

/// Batch circuits (`zkinfer compile --batch K`): one proof of K inferences, one reference pair per inference.
interface IZkinferBatchModel {
    function verifyBatch(uint256[8] calldata proof, uint256[] calldata publicSignals)
        external view returns (bool ok, bytes32[] memory inputRefs, bytes32[] memory outputsHashes, address prover);
}

/// A segmented model's contract (generated per model, src/chain/segmented.ts): K proofs and their links in one call.
interface IZkinferSegmentedModel {
    function verifySegments(uint256[8][] calldata proofs, uint256[] calldata publicSignals)
        external view returns (bool ok, bytes32 inputRef, bytes32 outputsHash, address prover);
}

/**
 * @title zkinfer registry: one per chain.
 * @notice An entry is a verifier the registry deployed itself, with CREATE2 from the verifier's creation
 *   bytecode: its address is a function of that bytecode, which zkinfer generates deterministically from the
 *   model's verification key (`zkinfer registry address DIR`). So an entry cannot be squatted: nothing is
 *   registered by name. Anyone may register any bytecode, including a contract that claims an honest model id
 *   and key hash and accepts everything, but it lands at its own address, never at the address the honest key
 *   derives, and whoever trusts a key trusts only the entry at that address. The model id and key hash an
 *   entry shows are what its code declares: for discovery, not trust.
 *
 *   submit() verifies through an entry and logs InferenceVerified. When the circuit binds a prover (a public
 *   signal carrying an address, `zkinfer compile --bind-prover`), only that address may submit the proof, so
 *   a watcher replaying or front-running it cannot appear as its prover; otherwise `prover` is 0 and only
 *   `submitter` is known.
 */
contract ZkinferRegistry {
    struct Model {
        bytes32 modelId;
        bytes32 vkHash;
        address registrant;
        string metadataURI;
    }

    /// verifier address (CREATE2 from its bytecode) → entry
    mapping(address => Model) private _models;

    event ModelRegistered(bytes32 indexed modelId, address indexed verifier, bytes32 vkHash, address indexed registrant, string metadataURI);
    /// inputRef: the input commitment (hashed inputs), keccak256 of the public inputs, or 0 (private inputs).
    /// prover: the address the proof is bound to (it sent this transaction), or 0 when the circuit binds none.
    event InferenceVerified(address indexed verifier, bytes32 indexed inputRef, address indexed prover, bytes32 modelId, bytes32 outputsHash, address submitter);

    error AlreadyRegistered(address verifier);
    error DeployFailed(bytes32 initCodeHash);
    error UnknownVerifier(address verifier);
    error InvalidProof(address verifier);
    error NotTheProver(address prover, address sender);

    /// @notice Where register() deploys a verifier with this creation bytecode hash (CREATE2, salt 0).
    function verifierAddress(bytes32 initCodeHash) public view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(bytes1(0xff), address(this), bytes32(0), initCodeHash)))));
    }

    /// @notice Deploy a verifier from its creation bytecode (with constructor arguments) and register it at
    ///   its CREATE2 address. The same bytecode registers once (AlreadyRegistered names its address).
    function register(bytes calldata initCode, string calldata metadataURI) external returns (address verifier) {
        bytes32 h = keccak256(initCode);
        if (verifierAddress(h).code.length != 0) revert AlreadyRegistered(verifierAddress(h));
        bytes memory code = initCode;
        assembly {
            verifier := create2(0, add(code, 32), mload(code), 0)
        }
        if (verifier == address(0) || verifier.code.length == 0) revert DeployFailed(h);
        bytes32 m = IZkinferModel(verifier).MODEL_ID();
        bytes32 v = IZkinferModel(verifier).VK_HASH();
        _models[verifier] = Model(m, v, msg.sender, metadataURI);
        emit ModelRegistered(m, verifier, v, msg.sender, metadataURI);
    }

    /// @notice An entry: what its verifier declares, who registered it, and its metadata URI (zero when none).
    function model(address verifier) external view returns (bytes32 modelId, bytes32 vkHash, address registrant, string memory metadataURI) {
        Model storage m = _models[verifier];
        return (m.modelId, m.vkHash, m.registrant, m.metadataURI);
    }

    /// @notice Verify a receipt's proof through a registered verifier and log it. Reverts when invalid, and
    ///   when the proof is bound to a prover other than the sender.
    function submit(address verifier, uint256[8] calldata proof, uint256[] calldata publicSignals) external returns (bytes32 inputRef, bytes32 outputsHash) {
        bytes32 modelId = _models[verifier].modelId;
        if (_models[verifier].registrant == address(0)) revert UnknownVerifier(verifier);
        bool ok;
        address prover;
        (ok, inputRef, outputsHash, prover) = IZkinferModel(verifier).verifySignals(proof, publicSignals);
        if (!ok) revert InvalidProof(verifier);
        if (prover != address(0) && prover != msg.sender) revert NotTheProver(prover, msg.sender);
        emit InferenceVerified(verifier, inputRef, prover, modelId, outputsHash, msg.sender);
    }

    /// @notice submit() for a batch proof (a verifier with verifyBatch, `zkinfer compile --batch K`): verify once
    ///   and log one InferenceVerified per inference, in batch order. Returns the number of inferences.
    function submitBatch(address verifier, uint256[8] calldata proof, uint256[] calldata publicSignals) external returns (uint256 count) {
        bytes32 modelId = _models[verifier].modelId;
        if (_models[verifier].registrant == address(0)) revert UnknownVerifier(verifier);
        (bool ok, bytes32[] memory inputRefs, bytes32[] memory outputsHashes, address prover) = IZkinferBatchModel(verifier).verifyBatch(proof, publicSignals);
        if (!ok) revert InvalidProof(verifier);
        if (prover != address(0) && prover != msg.sender) revert NotTheProver(prover, msg.sender);
        count = inputRefs.length;
        if (outputsHashes.length != count) revert InvalidProof(verifier);
        // emit InferenceVerified(verifier, inputRefs[k], prover, modelId, outputsHashes[k], msg.sender) for each k,
        // with the data words written once but the output hash: a log is most of an inference's gas here
        bytes32 topic = InferenceVerified.selector;
        assembly {
            let data := mload(0x40)
            mstore(data, modelId)
            mstore(add(data, 0x40), caller())
            for { let k := 0 } lt(k, count) { k := add(k, 1) } {
                let at := add(0x20, mul(k, 0x20))
                mstore(add(data, 0x20), mload(add(outputsHashes, at)))
                log4(data, 0x60, topic, verifier, mload(add(inputRefs, at)), prover)
            }
        }
    }

    /// @notice submit() for a segmented model's contract: its K segment proofs and their public signals
    ///   (concatenated in segment order) verified in one call, links included; one InferenceVerified. A failed
    ///   check reverts with the contract's error naming it (BrokenLink, SegmentProofInvalid, …).
    function submitSegments(address verifier, uint256[8][] calldata proofs, uint256[] calldata publicSignals) external returns (bytes32 inputRef, bytes32 outputsHash) {
        bytes32 modelId = _models[verifier].modelId;
        if (_models[verifier].registrant == address(0)) revert UnknownVerifier(verifier);
        bool ok;
        (ok, inputRef, outputsHash, ) = IZkinferSegmentedModel(verifier).verifySegments(proofs, publicSignals);
        if (!ok) revert InvalidProof(verifier);
        emit InferenceVerified(verifier, inputRef, address(0), modelId, outputsHash, msg.sender);
    }
}
