pragma circom 2.1.0;

include "bits.circom";

// DivFloor(nq, nr): q = floor(num / den) for a positive divisor, from a pinned hint.
//   inputs num, den; output q.
//   The prover supplies q and r (hints); the constraints
//     num = q·den + r                (1 non-linear)
//     0 ≤ r < 2^nr                    (ShiftedBits(nr, 0) of r)
//     0 ≤ den − 1 − r < 2^nr          (ShiftedBits(nr, 0) of den − 1 − r: r < den, hence den ≥ 1)
//     −2^nq ≤ q < 2^nq                (ShiftedBits(nq + 1, 2^nq) of q)
//   pin them down: |q·den + r| < 2^nq·2^(nr+1) + 2^nr < 2^250 < p/2, so the first equation holds over the
//   integers, and Euclidean division by den ≥ 1 has exactly one (q, r) with 0 ≤ r < den.
//   A zero or negative divisor has no witness (the caller proves den ≥ 0 from bounds, or negates both).
//   Preconditions (compile-time): 0 ≤ nq, 1 ≤ nr, nq + nr ≤ 248.
//   Constraints: (nq + 1) + 2·nr non-linear booleans + 1 product + 3 linear recompositions.
template DivFloor(nq, nr) {
    assert(nq >= 0);
    assert(nr >= 1);
    assert(nq + nr <= 248);

    signal input num;
    signal input den;
    signal output q;
    signal r;

    // hints (signed reading of num: values above p/2 are negative); pinned by the constraints below
    var qv = num < 0 ? -((-num + den - 1) \ den) : num \ den;
    q <-- qv;
    r <-- num - qv * den;

    num === q * den + r;

    component rLow = ShiftedBits(nr, 0);
    rLow.in <== r;
    component rHigh = ShiftedBits(nr, 0);
    rHigh.in <== den - 1 - r;
    component qRange = ShiftedBits(nq + 1, 2 ** nq);
    qRange.in <== q;
}
