declare module 'circomlibjs' {
  export interface Poseidon {
    (inputs: (bigint | number | string)[]): Uint8Array;
    F: { toObject(x: Uint8Array): bigint; toString(x: Uint8Array): string };
  }
  export function buildPoseidon(): Promise<Poseidon>;
  export const poseidonContract: {
    createCode(nInputs: number): string;
    generateABI(nInputs: number): Record<string, unknown>[];
  };
}
