// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// circomlibjs's Poseidon contracts (generated EVM code, `poseidon(uint256[n])`).
interface IPoseidon6 {
    function poseidon(uint256[6] memory inputs) external pure returns (uint256);
}

interface IPoseidon2 {
    function poseidon(uint256[2] memory inputs) external pure returns (uint256);
}

/**
 * @title The "poseidon-chain/1" commitment of data held on chain (circuits/commitment.circom in a circuit):
 *   h_0 = salt; h_{k+1} = Poseidon(h_k, v[5k..5k+4]) (last chunk zero-padded); commitment = Poseidon(h_K, m).
 * @notice Lets a contract check a proof against data it already holds: the proof's commitment signal must
 *   equal the commitment of that data. Values are field elements (a signed integer v is v mod p).
 */
contract ZkinferCommitment {
    uint256 internal constant P = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
    IPoseidon6 public immutable POSEIDON6;
    IPoseidon2 public immutable POSEIDON2;

    error NotAFieldElement(uint256 index);

    constructor(IPoseidon6 poseidon6, IPoseidon2 poseidon2) {
        POSEIDON6 = poseidon6;
        POSEIDON2 = poseidon2;
    }

    function commit(uint256[] calldata values, uint256 salt) external view returns (uint256 h) {
        uint256 m = values.length;
        h = salt;
        for (uint256 i = 0; i < m; i += 5) {
            uint256[6] memory a;
            a[0] = h;
            for (uint256 j = 0; j < 5 && i + j < m; j++) {
                if (values[i + j] >= P) revert NotAFieldElement(i + j);
                a[j + 1] = values[i + j];
            }
            h = POSEIDON6.poseidon(a);
        }
        h = POSEIDON2.poseidon([h, m]);
    }
}
