/**
 * Segment demonstrations on mnist-8 (the conformance copy, located as bench/models.ts does), numbers for
 * the README and the issue's report (not part of npm test: minutes of proving).
 *
 *   node --import tsx scripts/segments-demo.ts latency [K…]   mnist-8 at its bench settings as one circuit
 *       and in K segments (default 2 4): constraints and each segment's witness + Groth16 seconds, proven
 *       one at a time so each is measured alone; the latency K machines would reach = the slowest segment.
 *       ROUNDS=R repeats the measurement R times (each round: the single circuit, each K's segments, the
 *       single circuit again) and adds a summary of the fastest time of each: on a shared machine the
 *       fastest is the one least disturbed.
 *   node --import tsx scripts/segments-demo.ts private        mnist-8 with --param-visibility private (968k
 *       constraints: one circuit does not compile) in automatic segments: compile, setup, prove, verify
 *       (MAX_CONSTRAINTS=N: segments of at most N constraints, --max-constraints).
 *
 * Artifacts go to $ZKINFER_DEMO_DIR (default /tmp/zkinfer-segments-demo); cached between runs.
 */
import path from 'node:path';
import os from 'node:os';
import { compileModel } from '../src/compile.js';
import type { CompileParams } from '../src/compile.js';
import { setupKeys } from '../src/setup.js';
import { loadProver } from '../src/prove/prove.js';
import { compileSegmented, setupSegments } from '../src/compose/compile.js';
import { proveSegmented } from '../src/compose/prove.js';
import { estimateSegments } from '../src/compose/estimate.js';
import { verifySegmentedReceipt } from '../src/verify/segmented.js';
import { trustedSegments } from '../src/cli/commands/segments.js';

const CONFORMANCE = path.resolve(import.meta.dirname, '..', '..', 'shared', 'conformance');
const MODEL = process.env.MNIST8 ?? path.join(CONFORMANCE, 'models', 'mnist-8', 'model.onnx');
const INPUT = path.join(path.dirname(MODEL), 'test_data_set_0');
const OUT = process.env.ZKINFER_DEMO_DIR ?? path.join(os.tmpdir(), 'zkinfer-segments-demo');
const BASE: Omit<CompileParams, 'outDir'> = { modelPath: MODEL, inputRange: [0, 255], inputScale: 0, scale: 4, paramBits: 8, onProgress: (m) => console.error(`  ${m}`) };
const fmt = (x: number): string => x.toFixed(2);

async function latency(ks: number[]): Promise<void> {
  const rows: string[] = [];
  const row = (x: string): void => void (rows.push(x), console.error(x));
  const dir1 = path.join(OUT, 'single');
  const c = await compileModel({ ...BASE, outDir: dir1 });
  await setupKeys({ dir: dir1 });
  const prover = await loadProver({ dir: dir1 });
  const built: { k: number; dir: string; est: ReturnType<typeof estimateSegments>; m: Awaited<ReturnType<typeof compileSegmented>> }[] = [];
  for (const k of ks) {
    const dir = path.join(OUT, `seg${k}`);
    const m = await compileSegmented({ ...BASE, outDir: dir, segments: k });
    await setupSegments({ dir });
    built.push({ k, dir, est: estimateSegments({ ...BASE, segments: k }), m });
  }
  // proving only now, one segment at a time, the single circuit again between variants (a shared machine drifts)
  const singles: number[] = [];
  const proveSingle = async (): Promise<number> => {
    const one = await prover.prove(INPUT);
    const t = one.seconds.witness + one.seconds.prove;
    singles.push(t);
    row(`1 circuit   ${c.info.constraints.total} constraints: witness ${fmt(one.seconds.witness)} s + Groth16 ${fmt(one.seconds.prove)} s = ${fmt(t)} s (load ${os.loadavg()[0]!.toFixed(1)})`);
    return t;
  };
  const fastest = new Map<number, number[]>(); // K → each segment's fastest witness + Groth16 seconds
  const rounds = Number(process.env.ROUNDS ?? 1);
  for (let round = 1; round <= rounds; round++) for (const b of built) {
    if (rounds > 1) row(`round ${round}/${rounds}`);
    const before = await proveSingle();
    const r = await proveSegmented({ dir: b.dir, inputPath: INPUT, jobs: 1 });
    const t0 = performance.now();
    const v = await verifySegmentedReceipt({ receipt: r.receipt, trusted: trustedSegments(b.dir) });
    const check = (performance.now() - t0) / 1000;
    const after = await proveSingle();
    const single = (before + after) / 2;
    const each = r.seconds.segments.map((s) => s.witness + s.prove);
    const slowest = Math.max(...each);
    const latencyK = r.seconds.prepare + slowest;
    fastest.set(b.k, each.map((t, i) => Math.min(t, fastest.get(b.k)?.[i] ?? Infinity)));
    row(`${b.k} segments  ${b.m.segments.map((s) => s.constraints.total).join(' + ')} constraints (estimated ${b.est.map((e) => e.constraints).join(' + ')})`);
    each.forEach((t, i) => {
      const e = (b.est[i]!.witnessSeconds ?? NaN) + (b.est[i]!.proveSeconds ?? NaN);
      row(`  segment ${i + 1}: witness ${fmt(r.seconds.segments[i]!.witness)} + Groth16 ${fmt(r.seconds.segments[i]!.prove)} = ${fmt(t)} s; estimated ${fmt(e)} s (${t > 0 ? `${(100 * (e / t - 1)).toFixed(0)}%` : '-'})`);
    });
    row(`  latency on ${b.k} machines: boundaries ${fmt(r.seconds.prepare)} s + slowest segment ${fmt(slowest)} s = ${fmt(latencyK)} s = ${((100 * latencyK) / single).toFixed(0)}% of the single circuit (${fmt(single)} s, mean of the runs before and after); verify all + links ${fmt(check)} s; verified ${v.ok}`);
  }
  if (rounds > 1) {
    const one = Math.min(...singles);
    row(`fastest of ${rounds} rounds: 1 circuit ${fmt(one)} s (of ${singles.length} runs)`);
    for (const [k, each] of fastest) row(`  ${k} segments: ${each.map(fmt).join(', ')} s; slowest ${fmt(Math.max(...each))} s = ${((100 * Math.max(...each)) / one).toFixed(0)}% of the single circuit`);
  }
  console.log(rows.join('\n'));
}

async function privateParams(): Promise<void> {
  const dir = path.join(OUT, 'private');
  const max = process.env.MAX_CONSTRAINTS ? Number(process.env.MAX_CONSTRAINTS) : undefined;
  const params = { ...BASE, paramVisibility: 'private' as const, segments: 'auto' as const, ...(max ? { maxConstraints: max } : {}) };
  const t0 = performance.now();
  const m = await compileSegmented({ ...params, outDir: dir });
  const t1 = performance.now();
  const s = await setupSegments({ dir });
  const t2 = performance.now();
  const r = await proveSegmented({ dir, inputPath: INPUT, jobs: 1 });
  const v = await verifySegmentedReceipt({ receipt: r.receipt, trusted: trustedSegments(dir) });
  console.log(`mnist-8 private params: ${m.segments.length} segments of ${m.segments.map((x) => x.constraints.total).join(' + ')} = ${m.manifest.constraints} constraints`);
  console.log(`  compile ${fmt((t1 - t0) / 1000)} s (circom ${m.segments.map((x) => fmt(x.compiler.seconds)).join(', ')} s), setup ${fmt((t2 - t1) / 1000)} s (${s.setups.map((x) => fmt(x.seconds)).join(', ')} s)`);
  console.log(`  prove per segment ${r.seconds.segments.map((x) => `${fmt(x.witness)} + ${fmt(x.prove)}`).join(', ')} s; outputs ${r.outputs[0]!.data.map((x) => x.toFixed(2)).join(', ')}; verified ${v.ok}${v.ok ? '' : ` (${v.failed!.name}: ${v.failed!.detail})`}`);
}

const [what, ...rest] = process.argv.slice(2);
try {
  if (what === 'latency') await latency(rest.length ? rest.map(Number) : [2, 4]);
  else if (what === 'private') await privateParams();
  else console.error('usage: scripts/segments-demo.ts latency [K…] | private');
} finally {
  await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
}
