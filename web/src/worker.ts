/**
 * The page's worker: all snarkjs work (verify, witness, prove) runs here so the page stays responsive.
 * Verification is zkinfer's own verifyReceipt (the rules of the CLI); proving uses circom's witness wasm
 * and snarkjs's browser build, and the receipt is assembled by the same code as in Node.
 */
import * as snarkjs from 'snarkjs';
import { verifyReceipt } from '../../src/verify/verify.js';
import type { VerifyResult } from '../../src/verify/verify.js';
import { isSegmentedReceipt, verifySegmentedReceipt } from '../../src/verify/segmented.js';
import { assembleReceipt, prepareWitness } from '../../src/prove/receipt-build.js';
import { programFromJson } from '../../src/quantize/program.js';
import { checkTensor, inputSpecs, quantizeInput } from '../../src/quantize/input.js';
import type { CompiledInfo } from '../../src/compile.js';
import type { SetupInfo } from '../../src/setup.js';
import { ArtifactError, ZkinferError } from '../../src/errors.js';
import type { ErrorInfo, SolidityCallData, WorkerReply, WorkerRequest } from './protocol.js';

const reply = (m: WorkerReply): void => self.postMessage(m);

// Build the curve (wasm + its own worker threads) as soon as the page opens, not on the first click.
const curveReady = snarkjs.curves.getCurveFromName('bn128');

interface Artifacts {
  compiled: CompiledInfo;
  setup: SetupInfo;
  vk: Record<string, unknown>;
  wasm: Uint8Array;
  zkey: Uint8Array;
  /** program.json: the quantized program, whose reference evaluator predicts the public signals. */
  program: unknown;
}

/** Artifacts by base URL: fetched once per page, reused by every proof. */
const artifactCache = new Map<string, Promise<Artifacts>>();

async function fetchBytes(url: string, onBytes: (n: number, total: number) => void): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new ArtifactError(`${url}: HTTP ${res.status}`, { hint: 'serve the artifact directory with `zkinfer web --dir DIR`' });
  const total = Number(res.headers.get('content-length') ?? 0);
  if (!res.body) return new Uint8Array(await res.arrayBuffer());
  const parts: Uint8Array[] = [];
  let n = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    parts.push(value);
    n += value.length;
    onBytes(n, total);
  }
  const out = new Uint8Array(n);
  let k = 0;
  for (const p of parts) out.set(p, (k += p.length) - p.length);
  return out;
}

function loadArtifacts(base: string, progress: (stage: string, fraction: number) => void): Promise<Artifacts> {
  const hit = artifactCache.get(base);
  if (hit) return hit;
  const job = (async () => {
    const files = ['compiled.json', 'setup.json', 'verification_key.json', 'circuit_js/circuit.wasm', 'circuit.zkey', 'program.json'];
    const got = new Map<string, { n: number; total: number }>();
    const bytes = await Promise.all(
      files.map((f) =>
        fetchBytes(new URL(f, base).href, (n, total) => {
          got.set(f, { n, total });
          const all = [...got.values()];
          const total_ = all.reduce((a, x) => a + x.total, 0);
          progress(`downloading artifacts (${(all.reduce((a, x) => a + x.n, 0) / 1e6).toFixed(1)} MB)`, total_ ? all.reduce((a, x) => a + x.n, 0) / total_ : 0);
        }),
      ),
    );
    const json = <T>(i: number): T => {
      try {
        return JSON.parse(new TextDecoder().decode(bytes[i]!)) as T;
      } catch (e) {
        throw new ArtifactError(`${new URL(files[i]!, base).href}: not valid JSON (${(e as Error).message})`);
      }
    };
    const compiled = json<CompiledInfo>(0);
    const setup = json<SetupInfo>(1);
    if (setup.circuitHash !== compiled.circuitHash) throw new ArtifactError(`${base}: the keys belong to another circuit`, { hint: 'run zkinfer setup again' });
    return { compiled, setup, vk: json<Record<string, unknown>>(2), wasm: bytes[3]!, zkey: bytes[4]!, program: json<unknown>(5) };
  })();
  artifactCache.set(base, job);
  job.catch(() => artifactCache.delete(base));
  return job;
}

/** snarkjs's prove log lines, in order: progress through the proof. */
const PROVE_STEPS = ['Reading Wtns', 'Reading Coeffs', 'Building ABC', 'Join ABC', 'Reading A Points', 'Reading B1 Points', 'Reading B2 Points', 'Reading C Points', 'Reading H Points'];

async function prove(id: number, artifacts: string, inputs: number[][]): Promise<void> {
  // Fractions of the bar: download 0–0.4, witness 0.4–0.45, proof 0.45–0.95, verify 0.95–1.
  const progress = (stage: string, fraction: number) => reply({ id, kind: 'progress', stage, fraction });
  let t = performance.now();
  const lap = (): number => {
    const n = performance.now();
    const d = n - t;
    t = n;
    return d;
  };
  progress('loading artifacts', 0);
  const a = await loadArtifacts(artifacts, (s, f) => progress(s, 0.4 * f));
  await curveReady;
  const fetchMs = lap();
  const specs = inputSpecs(a.compiled);
  if (inputs.length !== specs.length) throw new ArtifactError(`the model has ${specs.length} inputs, the page gave ${inputs.length}`);
  const ints = specs.map((s, i) => quantizeInput(checkTensor(inputs[i]!, s.shape, s, 'canvas'), s, 'canvas'));
  if (a.compiled.layout.visibility.params === 'hashed') throw new ArtifactError('proving with hashed parameters needs the model owner\'s params.opening.json, which the page does not load');
  const prepared = prepareWitness(a.compiled, programFromJson(a.program), ints);
  const input = prepared.circuitInput;

  progress('computing the witness (circom wasm)', 0.4);
  const wtns: { type: 'mem'; data?: Uint8Array } = { type: 'mem' };
  // circom 2 wasm brings its own memory: the 1-page env.memory is only what circom_runtime insists on
  // creating (its default is 2 GiB, meant for circom 1 circuits).
  await snarkjs.wtns.calculate(input, { type: 'mem', data: a.wasm }, wtns, { memorySize: 1 });
  const witnessMs = lap();

  progress(`Groth16 proof over ${a.compiled.constraints.total} constraints`, 0.45);
  const logger = {
    debug(msg: string) {
      const k = PROVE_STEPS.indexOf(msg);
      if (k >= 0) progress(`Groth16 proof: ${msg.toLowerCase()}`, 0.45 + (0.5 * (k + 1)) / (PROVE_STEPS.length + 1));
    },
    info() {},
    warn() {},
    error() {},
  };
  const { proof, publicSignals } = await snarkjs.groth16.prove({ type: 'mem', data: a.zkey }, wtns, logger);
  const proveMs = lap();

  progress('verifying the new receipt', 0.95);
  // assembleReceipt verifies the receipt against these artifacts (SelfCheckError otherwise).
  const { receipt, verified: result } = await assembleReceipt({ compiled: a.compiled, setup: a.setup, vk: a.vk, prepared, proof, publicSignals, vkLabel: new URL('verification_key.json', artifacts).href });
  progress('done', 1);
  reply({ id, kind: 'proved', receipt, result, ms: { fetch: fetchMs, witness: witnessMs, prove: proveMs, verify: lap() } });
}

function errorInfo(e: unknown): ErrorInfo {
  if (e instanceof ZkinferError) return { name: e.name, code: e.code, message: e.message, hint: e.hint };
  const err = e instanceof Error ? e : new Error(String(e));
  return { name: err.name, message: err.message };
}

self.onmessage = async (ev: MessageEvent<WorkerRequest>) => {
  const req = ev.data;
  try {
    if (req.kind === 'verify') {
      await curveReady;
      const t0 = performance.now();
      // a segmented receipt: every segment proof, link and the order (its trusted hash is the segment keys hash)
      const result = isSegmentedReceipt(req.receipt)
        ? ((await verifySegmentedReceipt({ receipt: req.receipt, trustedKeysHash: req.trustedVkHash, trustedBy: req.trustedBy })) as unknown as VerifyResult)
        : await verifyReceipt({ receipt: req.receipt, trusted: req.trusted, trustedVkHash: req.trustedVkHash, trustedBy: req.trustedBy });
      reply({ id: req.id, kind: 'verified', result, ms: performance.now() - t0 });
    } else if (req.kind === 'prove') {
      await prove(req.id, req.artifacts, req.inputs);
    } else {
      const text = await snarkjs.groth16.exportSolidityCallData(req.receipt.proof, req.receipt.publicSignals);
      reply({ id: req.id, kind: 'calldata', args: JSON.parse(`[${text}]`) as SolidityCallData });
    }
  } catch (e) {
    reply({ id: req.id, kind: 'error', error: errorInfo(e) });
  }
};
