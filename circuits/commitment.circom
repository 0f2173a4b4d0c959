pragma circom 2.1.0;

include "poseidon.circom"; // circomlib (node_modules/circomlib/circuits)

// PoseidonChainCommit(m): the "poseidon-chain/1" commitment to m field elements with a salt, built so
// that a contract can recompute it with circomlibjs's Poseidon contracts (its generator handles at most 6 inputs):
//   h_0 = salt;  h_{k+1} = Poseidon(h_k, v[5k], …, v[5k+4])  (the last chunk zero-padded);
//   out = Poseidon(h_K, m)   (the length closes the padding ambiguity).
//   Reference implementations: src/chain/commitment.ts (TypeScript, Solidity).
//   Preconditions: m ≥ 1 (compile-time).
//   Constraints: ⌈m/5⌉ Poseidon(6) + one Poseidon(2).
template PoseidonChainCommit(m) {
    assert(m >= 1);
    signal input values[m];
    signal input salt;
    signal output out;
    var K = (m + 4) \ 5;
    component h[K];
    for (var k = 0; k < K; k++) {
        h[k] = Poseidon(6);
        if (k == 0) {
            h[k].inputs[0] <== salt;
        } else {
            h[k].inputs[0] <== h[k - 1].out;
        }
        for (var j = 0; j < 5; j++) {
            if (5 * k + j < m) {
                h[k].inputs[j + 1] <== values[5 * k + j];
            } else {
                h[k].inputs[j + 1] <== 0;
            }
        }
    }
    component fin = Poseidon(2);
    fin.inputs[0] <== h[K - 1].out;
    fin.inputs[1] <== m;
    out <== fin.out;
}
