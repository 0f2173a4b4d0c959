pragma circom 2.1.0;

// circomlib's round constants, MDS and sparse partial-round matrices (found through -l circomlib/circuits).
include "poseidon_constants.circom";

// PoseidonLinear(nInputs): circomlib's Poseidon(nInputs) — the same permutation, constants and output
// (circomlibjs's buildPoseidon in TypeScript, the Poseidon contracts on chain), with fewer constraints.
//   input inputs[nInputs]; output out = Poseidon(inputs) (initial state 0, first element of the final state).
//   Preconditions: 1 ≤ nInputs ≤ 16 (compile-time).
//   Constraints: 3 per S-box but the first (its input is the constant initial state), nothing else:
//   3·(8·t + N_ROUNDS_P[t − 2] − 1) non-linear with t = nInputs + 1 (609 for Poseidon(16), 321 for
//   Poseidon(5)), plus 1 linear for `out`.
//
// circomlib's PoseidonEx makes every round's output a signal (Ark, Mix, MixS, MixLast components), and
// circom's --O1 only substitutes a signal equal to one other signal or a constant, so each of those ~1,500
// linear constraints stays in the R1CS (≈ 2,100 constraints for Poseidon(16)). Here the state between
// S-boxes lives in `var`s: round constants and matrices only form linear combinations of the S-box output
// signals, which each S-box's constraints take as operands. The rounds follow PoseidonEx step for step
// (full rounds with M, the pre-partial matrix P, the sparse S of the partial rounds, M's first column last),
// so the output is the same field element.
//
// Soundness: every signal is an S-box wire x2 = x·x, x4 = x2·x2, x5 = x4·x with x a linear combination of
// the inputs and earlier x5 wires: given the inputs, each wire has exactly one satisfying value, in order,
// and `out` is a linear combination of the last round's x5 wires.
template PoseidonLinear(nInputs) {
    assert(nInputs >= 1);
    assert(nInputs <= 16);
    signal input inputs[nInputs];
    signal output out;

    var N_ROUNDS_P[16] = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68];
    var t = nInputs + 1;
    var nRoundsF = 8;
    var nRoundsP = N_ROUNDS_P[t - 2];
    var C[t*nRoundsF + nRoundsP] = POSEIDON_C(t);
    var S[N_ROUNDS_P[t - 2] * (t*2 - 1)] = POSEIDON_S(t);
    var M[t][t] = POSEIDON_M(t);
    var P[t][t] = POSEIDON_P(t);

    // S-box wires, in the order they are computed: nRoundsF·t full-round S-boxes and nRoundsP partial ones,
    // but the first: the initial state's first element is 0, a constant through the first S-box.
    var nSbox = nRoundsF * t + nRoundsP - 1;
    signal x2[nSbox];
    signal x4[nSbox];
    signal x5[nSbox];
    var k = 0;

    var state[t];
    var next[t];
    state[0] = C[0];
    for (var j = 1; j < t; j++) state[j] = inputs[j - 1] + C[j];

    // first half of the full rounds: S-boxes, then the next round's constants and the MDS matrix M
    // (P before the partial rounds)
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) {
            if (r == 0 && j == 0) {
                state[j] = C[0] ** 5 + C[t];
            } else {
                x2[k] <== state[j] * state[j];
                x4[k] <== x2[k] * x2[k];
                x5[k] <== x4[k] * state[j];
                state[j] = x5[k] + C[(r + 1) * t + j];
                k++;
            }
        }
        for (var i = 0; i < t; i++) {
            next[i] = 0;
            for (var j = 0; j < t; j++) next[i] += (r < nRoundsF \ 2 - 1 ? M[j][i] : P[j][i]) * state[j];
        }
        for (var i = 0; i < t; i++) state[i] = next[i];
    }

    // partial rounds: one S-box, its constant, the sparse matrix (row r of S)
    for (var r = 0; r < nRoundsP; r++) {
        x2[k] <== state[0] * state[0];
        x4[k] <== x2[k] * x2[k];
        x5[k] <== x4[k] * state[0];
        var s0 = x5[k] + C[(nRoundsF \ 2 + 1) * t + r];
        k++;
        var b = (t*2 - 1) * r;
        next[0] = S[b] * s0;
        for (var i = 1; i < t; i++) next[0] += S[b + i] * state[i];
        for (var i = 1; i < t; i++) state[i] = state[i] + s0 * S[b + t + i - 1];
        state[0] = next[0];
    }

    // second half of the full rounds: S-boxes, constants and M, the last round without constants
    for (var r = 0; r < nRoundsF \ 2; r++) {
        for (var j = 0; j < t; j++) {
            x2[k] <== state[j] * state[j];
            x4[k] <== x2[k] * x2[k];
            x5[k] <== x4[k] * state[j];
            state[j] = x5[k];
            if (r < nRoundsF \ 2 - 1) state[j] += C[(nRoundsF \ 2 + 1) * t + nRoundsP + r * t + j];
            k++;
        }
        if (r < nRoundsF \ 2 - 1) {
            for (var i = 0; i < t; i++) {
                next[i] = 0;
                for (var j = 0; j < t; j++) next[i] += M[j][i] * state[j];
            }
            for (var i = 0; i < t; i++) state[i] = next[i];
        }
    }

    // MixLast: the first column of M
    var o = 0;
    for (var j = 0; j < t; j++) o += M[j][0] * state[j];
    out <== o;
}
