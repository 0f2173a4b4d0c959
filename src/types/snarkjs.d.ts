declare module 'snarkjs' {
  export const groth16: {
    fullProve(input: Record<string, unknown>, wasm: string | Uint8Array, zkey: string | Uint8Array | object, logger?: unknown): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    prove(zkey: string | Uint8Array | object, wtns: string | Uint8Array | object, logger?: unknown): Promise<{ proof: Groth16Proof; publicSignals: string[] }>;
    verify(vk: object, publicSignals: string[], proof: Groth16Proof, logger?: unknown): Promise<boolean>;
    exportSolidityCallData(proof: Groth16Proof, publicSignals: string[]): Promise<string>;
  };
  export const zKey: {
    exportVerificationKey(zkey: string | Uint8Array | object, logger?: unknown): Promise<Record<string, unknown>>;
    exportSolidityVerifier(zkey: string | Uint8Array | object, templates: Record<string, string>, logger?: unknown): Promise<string>;
    newZKey(r1cs: string | object, ptau: string | object, zkey: string | object, logger?: unknown): Promise<unknown>;
    [k: string]: unknown;
  };
  export const wtns: {
    calculate(input: Record<string, unknown>, wasm: string | object, wtns: string | object, options?: unknown): Promise<void>;
    [k: string]: unknown;
  };
  export const r1cs: { [k: string]: unknown };
  /** The curve singleton (globalThis.curve_bn128): built once, its worker threads kept until terminate(). */
  export const curves: { getCurveFromName(name: string, options?: unknown): Promise<{ terminate(): Promise<void> }> };
  export const powersOfTau: { [k: string]: unknown };
  /** zkinfer's own declaration (src/receipt.ts), so that the shipped .d.ts files need no types of snarkjs. */
  export type Groth16Proof = import('../receipt.js').Groth16Proof;
}
