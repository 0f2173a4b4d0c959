pragma circom 2.1.0;

include "bits.circom";

// Fixed-point rescaling, ReLU and max, all from one signed decomposition (ShiftedBits).
//
// Common step: y = in + 2^m is decomposed into m + 1 bits b[0..m]. This constrains
// −2^m ≤ in < 2^m: a value outside that range has NO satisfying witness, so the interval bound the
// caller derived is checked, not trusted. b[m] is the sign bit: b[m] = 1 ⇔ y ≥ 2^m ⇔ in ≥ 0.
// For 0 ≤ k ≤ m: floor(in / 2^k) = floor(y / 2^k) − 2^(m−k) = Σ_{i=k..m} b[i]·2^(i−k) − 2^(m−k).

// Rescale(m, k): out = floor(in / 2^k), rounding toward −∞.
//   (For round-half-up the caller adds 2^(k−1) to in beforehand.)
//   input  in    with −2^m ≤ in < 2^m (enforced)
//   output out   = floor(in / 2^k), −2^(m−k) ≤ out < 2^(m−k)
//   Preconditions (compile-time): 0 ≤ k ≤ m ≤ 251.
//   Constraints: (m + 1) non-linear (booleans) + 2 linear (recomposition, definition of out).
//   With --O2 the 2 linear constraints are substituted away when in / out are intermediate signals.
template Rescale(m, k) {
    assert(k >= 0);
    assert(k <= m);
    assert(m <= 251);

    signal input in;
    signal output out;

    component d = ShiftedBits(m + 1, 2 ** m);
    d.in <== in;

    // weights by doubling, not `2 ** (i - k)`: the witness code evaluates `**` as a field exponentiation
    // (~256 squarings) on every call, which made the mnist-8 witness 3× slower. Same constraints.
    var q = 0;
    var e = 1;
    for (var i = k; i <= m; i++) {
        q += d.out[i] * e;
        if (i < m) { e = e + e; }
    }
    out <== q - e;                        // e = 2^(m − k)
}

// RescaleRelu(m, k): out = max(0, floor(in / 2^k)).
//   input  in    with −2^m ≤ in < 2^m (enforced)
//   output out   = b[m] · Σ_{i=k..m−1} b[i]·2^(i−k), so 0 ≤ out < 2^(m−k)
//   (if in ≥ 0 then b[m] = 1 and b[0..m−1] are the bits of in; if in < 0 then b[m] = 0 and out = 0,
//   and floor(in / 2^k) < 0.)
//   Preconditions (compile-time): 0 ≤ k < m ≤ 251.
//   Constraints: (m + 2) non-linear (m + 1 booleans + the product defining out) + 1 linear
//   (recomposition).
template RescaleRelu(m, k) {
    assert(k >= 0);
    assert(k < m);
    assert(m <= 251);

    signal input in;
    signal output out;

    component d = ShiftedBits(m + 1, 2 ** m);
    d.in <== in;

    var q = 0;
    var e = 1;
    for (var i = k; i < m; i++) {
        q += d.out[i] * e;
        e = e + e;
    }
    out <== d.out[m] * q;
}

// Relu(m): out = max(0, in) for −2^m ≤ in < 2^m (enforced). Same as RescaleRelu(m, 0).
//   Preconditions: 1 ≤ m ≤ 251.
//   Constraints: (m + 2) non-linear + 1 linear.
template Relu(m) {
    signal input in;
    signal output out;
    component r = RescaleRelu(m, 0);
    r.in <== in;
    out <== r.out;
}

// Max2(m): out = max(a, b) = b + Relu(a − b).
//   inputs a, b  with −2^m ≤ a − b < 2^m (enforced)
//   output out   = max(a, b)
//   The decomposition is applied to a − b directly (no intermediate ReLU output signal):
//   out − b = s · Σ_{i<m} d[i]·2^i, with s = d[m] the sign of a − b.
//   Preconditions (compile-time): 1 ≤ m ≤ 251.
//   Constraints: (m + 2) non-linear + 2 linear (a − b into the decomposition, recomposition).
template Max2(m) {
    assert(m >= 1);
    assert(m <= 251);

    signal input a;
    signal input b;
    signal output out;

    component d = ShiftedBits(m + 1, 2 ** m);
    d.in <== a - b;

    var pos = 0;
    var e = 1;
    for (var i = 0; i < m; i++) {
        pos += d.out[i] * e;
        e = e + e;
    }
    out <== b + d.out[m] * pos;
}
