declare module 'circomlibjs' {
  export function buildPoseidon(): Promise<unknown>;
  export const poseidonContract: { createCode(nInputs: number): string; generateABI(nInputs: number): unknown[] };
}
