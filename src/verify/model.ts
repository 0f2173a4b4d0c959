/** `verify --model`: rebuild the circuit from a model file and check that the receipt's circuit is that one. */
import { circuitIdentity } from '../compile.js';
import type { KeyBinding, Receipt } from '../receipt.js';
import type { Check } from './verify.js';

export async function checkModelFile(receipt: Receipt, modelPath: string): Promise<Check> {
  const b = (receipt.verificationKey as { zkinfer?: KeyBinding }).zkinfer;
  if (!b?.settings) return { name: 'model-file', ok: false, detail: 'the receipt does not record the compile settings needed to rebuild its circuit' };
  const id = await circuitIdentity({
    modelPath,
    scale: b.settings.scale,
    paramBits: b.settings.paramBits,
    outputScale: b.settings.outputScale,
    inputDecls: b.settings.inputs,
    inputVisibility: b.layout.visibility.input,
    outputVisibility: b.layout.visibility.output,
    paramVisibility: b.layout.visibility.params,
    bindProver: b.layout.signals.some((g) => g.kind === 'prover'),
  });
  const problems: string[] = [];
  if (id.fileSha256 !== receipt.model.fileSha256) problems.push(`the file's sha256 ${id.fileSha256.slice(0, 16)}… is not the receipt's ${receipt.model.fileSha256.slice(0, 16)}…`);
  if (id.quantizedSha256 !== receipt.model.quantizedSha256) problems.push('its quantized graph differs');
  if (id.circuitHash !== receipt.circuitHash) problems.push(`it compiles to circuit ${id.circuitHash.slice(0, 16)}…, not the receipt's ${receipt.circuitHash.slice(0, 16)}…`);
  return { name: 'model-file', ok: problems.length === 0, detail: problems.join('; ') || `${modelPath} rebuilds to exactly this circuit (${id.circuitHash.slice(0, 16)}…)` };
}
