// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title The salted Poseidon chain of zkinfer's input and output commitments (src/quantize/layout.ts), on chain:
 *   h = salt; for each chunk of at most 5 field elements: h = Poseidon(h, chunk...) (the last chunk shorter).
 * @notice Lets a contract check a proof against data it already holds: the proof's commitment signal must
 *   equal the commitment of that data (packed field elements, see ZkinferModel.packInputs). Poseidon(k) is
 *   circomlibjs's generated contract for k inputs (k = 2..6), `poseidon(uint256[k])`.
 */
contract ZkinferCommitment {
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// Field elements per Poseidon call besides the chain state (the layout's chain width for inputs and outputs).
    uint256 public constant WIDTH = 5;
    /// POSEIDON[k - 2]: the Poseidon contract with k inputs.
    address[5] public POSEIDON;

    error NotAFieldElement(uint256 index);
    error NoElements();
    error PoseidonFailed(uint256 inputs);

    constructor(address[5] memory poseidon) {
        POSEIDON = poseidon;
    }

    function commit(uint256[] calldata elems, uint256 salt) external view returns (uint256 h) {
        uint256 m = elems.length;
        if (m == 0) revert NoElements();
        h = salt;
        for (uint256 i = 0; i < m; i += WIDTH) {
            uint256 n = m - i < WIDTH ? m - i : WIDTH;
            for (uint256 j = 0; j < n; j++) if (elems[i + j] >= P) revert NotAFieldElement(i + j);
            // poseidon(uint256[n + 1]) takes its array inline: the selector, the state, then the chunk's words.
            bytes4 selector = bytes4(keccak256(abi.encodePacked("poseidon(uint256[", bytes1(uint8(49 + n)), "])")));
            (bool ok, bytes memory ret) = POSEIDON[n - 1].staticcall(abi.encodePacked(selector, h, elems[i:i + n]));
            if (!ok || ret.length != 32) revert PoseidonFailed(n + 1);
            h = abi.decode(ret, (uint256));
        }
    }
}
