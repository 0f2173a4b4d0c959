// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// The interface every zkinfer model contract (ZkinferModel.sol, generated per model) implements.
interface IZkinferModel {
    function MODEL_ID() external view returns (bytes32);
    function VK_HASH() external view returns (bytes32);
    function verifySignals(uint256[8] calldata proof, uint256[] calldata publicSignals)
        external view returns (bool ok, bytes32 inputRef, bytes32 outputsHash);
}

/**
 * @title zkinfer registry: one per chain.
 * @notice Maps a model id to its verifier contract, and records every verified inference as an
 *   InferenceVerified log: who (prover) proved what (input reference, outputs hash) with which model.
 *   A model id is registered once; the verifier must itself declare that model id and key hash.
 */
contract ZkinferRegistry {
    struct Model {
        address verifier;
        bytes32 vkHash;
        address registrant;
        string metadataURI;
    }

    mapping(bytes32 => Model) private _models;

    event ModelRegistered(bytes32 indexed modelId, address indexed verifier, bytes32 vkHash, address indexed registrant, string metadataURI);
    /// inputRef: the input commitment (hashed inputs), keccak256 of the public inputs, or 0 (private inputs).
    event InferenceVerified(bytes32 indexed modelId, bytes32 indexed inputRef, bytes32 outputsHash, address indexed prover);

    error AlreadyRegistered(bytes32 modelId, address verifier);
    error NotAContract(address verifier);
    error VerifierMismatch(bytes32 modelId, bytes32 vkHash, bytes32 verifierModelId, bytes32 verifierVkHash);
    error UnknownModel(bytes32 modelId);
    error InvalidProof(bytes32 modelId);

    /// @notice Register a model's verifier. Refused when the id is taken or the verifier disagrees on the ids.
    function register(bytes32 modelId, address verifier, bytes32 vkHash, string calldata metadataURI) external {
        if (_models[modelId].verifier != address(0)) revert AlreadyRegistered(modelId, _models[modelId].verifier);
        if (verifier.code.length == 0) revert NotAContract(verifier);
        bytes32 m = IZkinferModel(verifier).MODEL_ID();
        bytes32 v = IZkinferModel(verifier).VK_HASH();
        if (m != modelId || v != vkHash) revert VerifierMismatch(modelId, vkHash, m, v);
        _models[modelId] = Model(verifier, vkHash, msg.sender, metadataURI);
        emit ModelRegistered(modelId, verifier, vkHash, msg.sender, metadataURI);
    }

    function model(bytes32 modelId) external view returns (address verifier, bytes32 vkHash, address registrant, string memory metadataURI) {
        Model storage m = _models[modelId];
        return (m.verifier, m.vkHash, m.registrant, m.metadataURI);
    }

    /// @notice Verify a receipt's proof through the registered verifier and log it. Reverts when invalid.
    function submit(bytes32 modelId, uint256[8] calldata proof, uint256[] calldata publicSignals) external returns (bytes32 inputRef, bytes32 outputsHash) {
        address verifier = _models[modelId].verifier;
        if (verifier == address(0)) revert UnknownModel(modelId);
        bool ok;
        (ok, inputRef, outputsHash) = IZkinferModel(verifier).verifySignals(proof, publicSignals);
        if (!ok) revert InvalidProof(modelId);
        emit InferenceVerified(modelId, inputRef, outputsHash, msg.sender);
    }
}
