pragma circom 2.1.0;

include "bits.circom";

// RangeCheck(n): 0 ≤ in < 2^n (in as an integer; the encoding of a negative value fails).
//   input in; no output.
//   Preconditions: 1 ≤ n ≤ 252 (compile-time).
//   Constraints: n non-linear + 1 linear.
template RangeCheck(n) {
    signal input in;
    component d = ShiftedBits(n, 0);
    d.in <== in;
}

// SignedRangeCheck(m): −2^m ≤ in < 2^m (in encodes a signed integer as in mod p).
//   Decomposes in + 2^m into m + 1 bits.
//   input in; no output.
//   Preconditions: 0 ≤ m ≤ 251 (compile-time).
//   Constraints: (m + 1) non-linear + 1 linear.
template SignedRangeCheck(m) {
    assert(m >= 0);
    assert(m <= 251);
    signal input in;
    component d = ShiftedBits(m + 1, 2 ** m);
    d.in <== in;
}
