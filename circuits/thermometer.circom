pragma circom 2.1.0;

// Thermometer(k, n, T): every comparison of one value against k sorted constant thresholds at once.
//   input  in               0 ≤ in < 2^n (enforced)
//   output c[k]             c[j] = [in ≤ T[j]] (so c is 0…0 1…1: a thermometer code)
//   Template parameters: 1 ≤ k, 1 ≤ n ≤ 250, 0 ≤ T[0] < T[1] < … < T[k−1] < 2^n − 1 (checked at compile time).
//
//   With c[−1] = 0 and c[k] = 1, d[i] = c[i] − c[i−1] (i = 0..k) is the indicator of bucket i, the interval
//   (T[i−1], T[i]] with T[−1] = −1 and T[k] = 2^n − 1. The constraints
//     d[i]·(d[i] − 1) = 0 for i = 0..k                 (k + 1 non-linear)
//   make every d[i] a bit, and Σ d[i] = c[k] − c[−1] = 1 holds by telescoping, so exactly one d[i] is 1
//   (k + 1 < p): c is a thermometer code. Then with the chosen bucket's bounds, both linear in c,
//     L = Σ d[i]·(T[i−1] + 1),  U = Σ d[i]·T[i],
//   two decompositions
//     in − L = Σ lo[i]·2^i,  U − in = Σ hi[i]·2^i    (2n booleans + 2 linear recompositions)
//   prove L ≤ in ≤ U over the integers (every quantity is below 2^n < p/2, so a negative difference would
//   be p − small and has no n-bit decomposition). The buckets are disjoint, so the only satisfying c is
//   the honest one, and the prover has no choice.
//   Constraints: (k + 1) + 2n non-linear, 2 linear. Versus one sign decomposition per comparison
//   (≈ n + 2 each), this costs ≈ 1 per threshold once k ≥ 3.
template Thermometer(k, n, T) {
    assert(k >= 1);
    assert(n >= 1);
    assert(n <= 250);
    assert(T[0] >= 0);
    for (var j = 1; j < k; j++) {
        assert(T[j] > T[j - 1]);
    }
    assert(T[k - 1] < 2 ** n - 1);

    signal input in;
    signal output c[k];
    signal lo[n];
    signal hi[n];

    // hints, pinned by the constraints below
    var b = k;
    for (var j = k - 1; j >= 0; j--) {
        if (in <= T[j]) {
            b = j;
        }
    }
    for (var j = 0; j < k; j++) {
        c[j] <-- j >= b ? 1 : 0;
    }
    var lower = b == 0 ? 0 : T[b - 1] + 1;
    var upper = b == k ? 2 ** n - 1 : T[b];
    for (var i = 0; i < n; i++) {
        lo[i] <-- ((in - lower) >> i) & 1;
        hi[i] <-- ((upper - in) >> i) & 1;
    }

    // the bucket indicators are bits; L and U as linear combinations of c
    var L = 0;
    var U = 0;
    var prev = 0;
    for (var i = 0; i <= k; i++) {
        var cur = i == k ? 1 : c[i];
        (cur - prev) * (cur - prev - 1) === 0;
        L += (cur - prev) * (i == 0 ? 0 : T[i - 1] + 1);
        U += (cur - prev) * (i == k ? 2 ** n - 1 : T[i]);
        prev = cur;
    }

    var sl = 0;
    var sh = 0;
    var e = 1;
    for (var i = 0; i < n; i++) {
        lo[i] * (lo[i] - 1) === 0;
        hi[i] * (hi[i] - 1) === 0;
        sl += lo[i] * e;
        sh += hi[i] * e;
        e = e + e;
    }
    sl === in - L;
    sh === U - in;
}
