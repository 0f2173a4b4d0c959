/** The public signals a layout implies for given integers: shared by the prover's self-check and verify. */
import type { Layout } from '../quantize/layout.js';
import { packAll, packValues } from '../quantize/layout.js';
import { poseidonChain } from '../commit/poseidon.js';

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
      out.push(await poseidonChain(salt, packAll(ints, packs), g.width));
    }
  }
  return out;
}
