/** The public signals a layout implies for given integers: shared by the prover's self-check and verify. */
import type { Layout } from '../quantize/layout.js';
import { packAll, packValues } from '../quantize/layout.js';

/**
 * circomlibjs, loaded on first use: it is large, and only commitments need it (a browser verifying packed
 * signals never loads it). Its own copy of ffjavascript sets globalThis.curve_bn128 = null as it loads, which
 * would orphan a running snarkjs curve (its worker threads would then keep the process alive): put it back.
 */
async function loadPoseidon(): Promise<typeof import('../commit/poseidon.js')> {
  const g = globalThis as { curve_bn128?: unknown };
  const curve = g.curve_bn128;
  const m = await import('../commit/poseidon.js');
  if (curve && !g.curve_bn128) g.curve_bn128 = curve;
  return m;
}

export async function expectedSignals(
  layout: Layout,
  inputs: readonly (readonly bigint[])[] | undefined,
  outputs: readonly (readonly bigint[])[] | undefined,
  salts: { input?: bigint; output?: bigint; params?: bigint },
  params?: readonly (readonly bigint[])[],
  prover?: bigint,
): Promise<bigint[]> {
  const out: bigint[] = [];
  for (const g of layout.signals) {
    if (g.kind === 'prover') {
      if (prover === undefined) throw new Error('no prover address for the prover signal');
      out.push(prover);
      continue;
    }
    const ints = g.of === 'input' ? inputs : g.of === 'output' ? outputs : params;
    const packs = g.of === 'input' ? layout.inputs : g.of === 'output' ? layout.outputs : layout.params;
    if (!ints) throw new Error(`no ${g.of} values to compute public signals from`);
    if (g.kind === 'packed') out.push(packValues(ints[g.tensor]!, (g.of === 'input' ? layout.inputs : layout.outputs)[g.tensor]!, g.start, g.count));
    else {
      const salt = salts[g.of];
      if (salt === undefined) throw new Error(`no salt for the ${g.of} commitment`);
      const { poseidonChain } = await loadPoseidon();
      out.push(await poseidonChain(salt, packAll(ints, packs), g.width));
    }
  }
  return out;
}
