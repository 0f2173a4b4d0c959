/**
 * snarkjs's bn128 curve (ffjavascript's wasm + worker threads), shared by every snarkjs call in the
 * process through `globalThis.curve_bn128` and terminated by the CLI when it exits.
 *
 * Build it before a witness wasm is instantiated: with mnist-8's witness generator (210k constraints, a
 * 1.6 GB wasm instance) already in the process, building the curve took 29 s instead of 0.3 s, and the
 * whole Groth16 proof 37 s instead of 11 s (measured by bench/, src/bench/worker.ts prover phases).
 */
const spec = 'ffjavascript'; // non-literal: ffjavascript ships no type declarations

/** Build (or reuse) the process-wide bn128 curve that snarkjs's prover and verifier use. */
export async function warmCurve(): Promise<void> {
  const ff = (await import(spec)) as { getCurveFromName(name: string): Promise<unknown> };
  await ff.getCurveFromName('bn128');
}
