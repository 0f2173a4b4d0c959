pragma circom 2.1.0;

// The one primitive every non-linear gadget of zkinfer rests on: a range-checked bit decomposition.
//
// Field: BN254 scalar field, p ≈ 2^253.6. A signed integer v with |v| < p/2 is encoded as v mod p.
// Soundness rules followed throughout circuits/:
//  - every check is an R1CS constraint (`===` / `<==`), never a circom `assert` on a signal;
//  - every `<--` hint is pinned down by constraints: for each input there is exactly one output
//    that satisfies them, so a dishonest prover has no choice;
//  - widths are bounded by 252 bits so Σ b_i·2^i < 2^252 < p can never wrap around the field
//    (no full-field decompositions, no full-field comparators).

// ShiftedBits(n, c): bit decomposition of in + c.
//   input  in
//   output out[n]         out[i] ∈ {0,1}, Σ out[i]·2^i = in + c (as integers)
//   Semantics: constrains 0 ≤ in + c < 2^n, i.e. −c ≤ in < 2^n − c, and outputs the n bits of in + c.
//   The witness is unique: the bits of an integer below 2^n < p are unique, and the sum cannot wrap
//   around p because it is below 2^n ≤ 2^252 < p.
//   Preconditions (template parameters, checked at compile time): 1 ≤ n ≤ 252, 0 ≤ c < 2^n.
//   Constraints: n non-linear (out[i]·(out[i] − 1) = 0) + 1 linear (the weighted sum).
//   The offset c is folded into the sum constraint, so a signed decomposition costs no extra constraint.
template ShiftedBits(n, c) {
    assert(n >= 1);
    assert(n <= 252);
    assert(c >= 0);
    assert(c < 2 ** n);

    signal input in;
    signal output out[n];

    var lc = 0;
    var e = 1;
    for (var i = 0; i < n; i++) {
        out[i] <-- ((in + c) >> i) & 1;   // hint, pinned by the two constraints below
        out[i] * (out[i] - 1) === 0;      // boolean
        lc += out[i] * e;
        e = e + e;
    }
    lc === in + c;                        // recomposition: no other boolean vector has this sum
}

// Bits(n): unsigned bit decomposition.
//   input  in
//   output out[n]         out[i] ∈ {0,1}, Σ out[i]·2^i = in
//   Semantics: constrains 0 ≤ in < 2^n. Preconditions: 1 ≤ n ≤ 252 (compile-time).
//   Constraints: n non-linear + 1 linear (for n = 1 the sum is the plain equality out[0] = in, which
//   --O1 substitutes away: 1 + 0).
template Bits(n) {
    assert(n >= 1);
    assert(n <= 252);

    signal input in;
    signal output out[n];

    component d = ShiftedBits(n, 0);
    d.in <== in;
    out <== d.out;
}
