pragma circom 2.1.0;

include "bits.circom";

// SqrtFloor(n): out = floor(sqrt(in)) for 0 ≤ in < 2^n, from a pinned hint. (Any satisfying witness has
//   out = floor(sqrt(in)); a negative in, or one whose root does not fit h bits, has none.)
//   input in; output out.
//   The prover supplies r (hint); with h = ceil(n / 2) the constraints
//     0 ≤ r < 2^h                       (ShiftedBits(h, 0) of r)
//     sq = r·r                          (1 non-linear)
//     0 ≤ in − sq < 2^n                 (ShiftedBits(n, 0): r² ≤ in, and in < 2^n + 2^(2h))
//     0 ≤ sq + 2r − in < 2^(n+1)        (ShiftedBits(n + 1, 0): in ≤ r² + 2r, i.e. in < (r + 1)²)
//   pin r down: every quantity is below 2^(n+3) ≤ 2^203 < p, so the relations hold over the integers, and
//   exactly one non-negative integer r has r² ≤ in < (r + 1)². A negative in has no witness.
//   Preconditions (compile-time): 1 ≤ n ≤ 200.
//   Constraints: h + n + (n + 1) non-linear booleans + 1 product + 3 linear recompositions.
template SqrtFloor(n) {
    assert(n >= 1);
    assert(n <= 200);
    var h = (n + 1) \ 2;

    signal input in;
    signal output out;

    // hint: binary search for the largest r with r² ≤ in; pinned by the constraints below
    var r = 0;
    for (var i = h - 1; i >= 0; i--) {
        var t = r + (1 << i);
        if (t * t <= in) {
            r = t;
        }
    }
    out <-- r;

    component rRange = ShiftedBits(h, 0);
    rRange.in <== out;
    signal sq;
    sq <== out * out;
    component below = ShiftedBits(n, 0);
    below.in <== in - sq;
    component above = ShiftedBits(n + 1, 0);
    above.in <== sq + 2 * out - in;
}
