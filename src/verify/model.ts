/** `verify --model`: rebuild the circuit from a model file and check that the receipt's circuit is that one. */
import { circuitIdentity } from '../compile.js';
import { showDiff } from '../receipt.js';
import type { KeyBinding, Receipt } from '../receipt.js';
import type { Check, KeyTrust } from './verify.js';

/**
 * The model file rebuilt with the settings the key records must give the receipt's hashes. This compares
 * claims; it means something about the model only when the key that checked the proof is trusted (`trust`).
 */
export async function checkModelFile(receipt: Receipt, modelPath: string, trust: KeyTrust): Promise<Check> {
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
  const differ = (what: string, file: string, claimed: string) => {
    if (file === claimed) return;
    const [f, c] = showDiff(file, claimed);
    problems.push(`${what} ${f} is not the receipt's ${c}`);
  };
  differ("the file's sha256", id.fileSha256, receipt.model.fileSha256);
  differ('its quantized graph sha256', id.quantizedSha256, receipt.model.quantizedSha256);
  differ('it compiles to circuit', id.circuitHash, receipt.circuitHash);
  const rebuilt = `${modelPath} rebuilds to exactly the receipt's circuit (${id.circuitHash.slice(0, 16)}…)`;
  return {
    name: 'model-file',
    ok: problems.length === 0,
    detail: problems.join('; ') || (trust.trusted ? `${rebuilt}, whose key is trusted by ${trust.by}` : `${rebuilt} — as the receipt's own key claims; that key is untrusted, so this proves nothing about ${modelPath}`),
  };
}
