/**
 * The zkinfer CLI: parse, call the library, print. Human output and progress go to stderr,
 * `--json` puts one machine-readable document on stdout.
 *
 * Exit codes: 0 success · 1 receipt invalid (verify) · 2 bad usage or bad input (model, input, artifacts) ·
 * 3 internal error (a bug: please report it; a prover whose receipt fails its self-check) · 4 the receipt is valid
 * for its own key, but no key you trust vouches for it (verify: it proves nothing about the model).
 */
import { Command, CommanderError } from 'commander';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { CompiledInfo } from '../compile.js';
import type { VerifyParams, VerifyResult } from '../verify/verify.js';
import type { Opening, Receipt } from '../receipt.js';
import { InputError, SelfCheckError, ZkinferError, errorText } from '../errors.js';
import { emit, isJson, log, say, setJson } from './output.js';
import { printOutputs, refuseOverwrite, writeReceipt } from './receipts.js';
import { PROVER_HELP, compileOptions, compileParams, proverFor } from './options.js';
import type { CompileOpts } from './options.js';
import { registerCommands } from './commands/index.js';
import { loadReceipt } from './io.js';
import { parsePositive, parseSegments } from './commands/segment-options.js';
import type { SegmentOpts } from './commands/segment-options.js';
import { packageVersion } from './version.js';

// The library behind the core commands (compile, setup, prove, verify, export-verifier, run), loaded by
// loadCore() when one of them runs: the compiler, snarkjs, solc and ethers take a second to import, and
// `zkinfer --help` should not wait for them. All of it loads before any proof work: circomlibjs's copy of
// ffjavascript resets snarkjs's curve singleton as it loads, orphaning a running curve's threads.
let compileModel!: typeof import('../compile.js').compileModel;
let setupKeys!: typeof import('../setup.js').setupKeys;
let readCompiled!: typeof import('../setup.js').readCompiled;
let readSetup!: typeof import('../setup.js').readSetup;
let proveInference!: typeof import('../prove/prove.js').proveInference;
let verifyReceipt!: typeof import('../verify/verify.js').verifyReceipt;
let receiptFormatProblem!: typeof import('../verify/verify.js').receiptFormatProblem;
let verdictText!: typeof import('../verify/verify.js').verdictText;
let checkModelFile!: typeof import('../verify/model.js').checkModelFile;
let exportVerifier!: typeof import('../chain/verifier.js').exportVerifier;
let artifactPaths!: typeof import('../artifacts/layout.js').artifactPaths;
let readJson!: typeof import('../artifacts/layout.js').readJson;
let loadSigningKey!: typeof import('../prove/sign.js').loadSigningKey;
let signReceipt!: typeof import('../prove/sign.js').signReceipt;
let verifyReceiptOnChain!: typeof import('./commands/verify-chain.js').verifyReceiptOnChain;
let estimateVerifyGas!: typeof import('../chain/gas.js').estimateVerifyGas;
let segments!: typeof import('./commands/segments.js');
let isSegmented!: typeof import('../compose/compile.js').isSegmented;
let compileBatch!: typeof import('../compose/batch.js').compileBatch;
let isSegmentedReceipt!: typeof import('../verify/segmented.js').isSegmentedReceipt;

async function loadCore(): Promise<void> {
  ({ compileModel } = await import('../compile.js'));
  ({ setupKeys, readCompiled, readSetup } = await import('../setup.js'));
  ({ proveInference } = await import('../prove/prove.js'));
  ({ verifyReceipt, receiptFormatProblem, verdictText } = await import('../verify/verify.js'));
  ({ checkModelFile } = await import('../verify/model.js'));
  ({ exportVerifier } = await import('../chain/verifier.js'));
  ({ artifactPaths, readJson } = await import('../artifacts/layout.js'));
  ({ loadSigningKey, signReceipt } = await import('../prove/sign.js'));
  ({ verifyReceiptOnChain } = await import('./commands/verify-chain.js'));
  ({ estimateVerifyGas } = await import('../chain/gas.js'));
  segments = await import('./commands/segments.js');
  ({ isSegmented } = await import('../compose/compile.js'));
  ({ compileBatch } = await import('../compose/batch.js'));
  ({ isSegmentedReceipt } = await import('../verify/segmented.js'));
}
const CORE_COMMANDS = new Set(['compile', 'setup', 'prove', 'verify', 'export-verifier', 'run']);

export const EXIT = { ok: 0, invalid: 1, usage: 2, internal: 3, untrusted: 4 } as const;

async function terminateCurve(): Promise<void> {
  const g = globalThis as { curve_bn128?: { terminate(): Promise<void> } };
  await g.curve_bn128?.terminate();
}

const defaultDir = (model: string): string => {
  const stem = path.basename(model).replace(/\.[^.]+$/, '');
  let h = 'missing';
  try {
    h = createHash('sha256').update(readFileSync(model)).digest('hex').slice(0, 10);
  } catch {
    /* compile reports the unreadable file */
  }
  return path.join('.zkinfer', `${stem}-${h}`);
};

function printCompiled(info: CompiledInfo, dir: string, cached: boolean): void {
  say(`model       ${info.model.file} (${info.model.name}), sha256 ${info.model.fileSha256.slice(0, 16)}…`);
  say(`ops         ${Object.entries(info.ops).map(([k, v]) => `${k}×${v}`).join(', ')}`);
  say(`scales      activations 2^${info.settings.scale}, params ${info.settings.paramBits} bits${info.settings.autoScale ? ' (chosen from the calibration samples)' : ''}`);
  say(`inputs      ${info.inputs.map((i) => `${i.name} [${i.shape}] scale 2^${i.scale}, range [${i.min}, ${i.max}] (${i.rangeSource})`).join('; ')}`);
  say(`constraints ${info.constraints.total} (${info.constraints.nonLinear} non-linear, ${info.constraints.linear} linear); ptau power needed: ${info.ptauPower}`);
  say(`            ${info.steps.inputRangeChecks} input range checks, ${info.steps.relus} rescale+ReLU, ${info.steps.rescales} rescales, ${info.steps.products} products`);
  for (const o of info.outputPrecision ?? []) {
    const alt = o.alternative ? `; --output-scale ${o.alternative.scale} would add ${o.alternative.constraints} constraints, error ≤ 2^-${o.alternative.scale + 1}` : '';
    say(`output      ${o.name}: ${o.computedScale > o.scale ? `rounded to 2^-${o.scale} from 2^-${o.computedScale}: ${o.constraints} constraints, error ≤ 2^-${o.scale + 1}` : `2^-${o.scale} as computed (no rounding)${alt}`}`);
  }
  if (info.auto && !info.auto.metTarget) say(`warning     calibration: no setting in the search met the error target; compiled with the most accurate one found (${info.auto.detail})`);
  if (info.fidelity) {
    for (const o of info.fidelity.outputs) say(`fidelity    ${o.name}: max |quantized − float| ${o.maxAbsError.toExponential(2)}, mean ${o.meanAbsError.toExponential(2)}, ${o.maxRelError !== undefined ? `, max relative ${o.maxRelError.toExponential(2)}` : ''}, argmax agreement ${(o.argmaxAgreement * 100).toFixed(0)}% over ${info.fidelity.samples} samples`);
  }
  say(`artifacts   ${dir}${cached ? ' (cached)' : ''}`);
}

function printVerify(v: VerifyResult, onChain?: { ok: boolean; detail: string }, model?: string): void {
  for (const c of v.checks) say(`  ${c.ok ? 'ok  ' : 'FAIL'} ${c.name.padEnd(15)} ${c.detail}`);
  if (onChain) say(`  ${onChain.ok ? 'ok  ' : 'FAIL'} ${'on-chain'.padEnd(15)} ${onChain.detail}`);
  say(`  key: ${v.trust.trusted ? `trusted by ${v.trust.by}` : `UNTRUSTED: vouched for by ${v.trust.by}`}`);
  if (v.signer) say(`  signer: ${v.signer}`);
  if (v.devSetup) say('  warning: dev setup (insecure, single-party): fine for testing, not for trust');
  if (onChain && v.ok !== onChain.ok) say(`  warning: Node says ${v.ok ? 'valid' : 'invalid'}, the contract says ${onChain.ok ? 'valid' : 'invalid'}`);
  const failed = v.failed ?? (onChain && !onChain.ok ? { name: 'on-chain', detail: onChain.detail } : undefined);
  if (failed) return say(`NOT VERIFIED: ${failed.name}: ${failed.detail}`);
  if (model && !v.trust.trusted) say(`NOT VERIFIED FOR THE MODEL: ${model} rebuilds to the circuit the receipt's own key claims, but nothing you trust vouches for that key, so this proves nothing about ${model}`);
  say(verdictText(v));
}

const trustedFrom = (dir: string) => {
  const compiled = readCompiled(dir);
  const setup = readSetup(dir, compiled);
  return { compiled, setup, vk: readJson<Record<string, unknown>>(artifactPaths(dir).vkey, 'verification key') };
};

/** Where verify's trust in the key comes from: --dir, --vk, --vk-hash (a contract on chain is added by the caller). */
function trustOptions(o: { dir?: string; vk?: string; vkHash?: string }): Pick<VerifyParams, 'trusted' | 'trustedVkHash'> & { by: string[] } {
  if (o.dir && o.vk) throw new InputError('give either --dir or --vk, not both: each names the verification key to trust');
  if (o.vkHash !== undefined && !/^(0x)?[0-9a-fA-F]{64}$/.test(o.vkHash.trim())) throw new InputError(`--vk-hash ${o.vkHash}: not a sha256 (64 hex digits)`, { hint: "use the vkHash the model's owner publishes (zkinfer inspect DIR prints it)" });
  const by: string[] = [];
  let trusted: VerifyParams['trusted'];
  if (o.dir) {
    trusted = trustedFrom(o.dir);
    by.push(`the artifacts in ${o.dir}`);
  } else if (o.vk) {
    trusted = { vk: readJson<Record<string, unknown>>(o.vk, 'verification key', 'give the verification_key.json of the model (from its owner, or zkinfer setup)') };
    by.push(`the key file ${o.vk}`);
  }
  if (o.vkHash) by.push(`the key hash you gave (--vk-hash ${o.vkHash.slice(0, 18)}…)`);
  return { trusted, trustedVkHash: o.vkHash, by };
}

export function buildCli(): Command {
  const program = new Command('zkinfer')
    .description('Prove machine-learning inference in zero knowledge: ONNX model → fixed-point circom circuit → Groth16 proof → receipt anyone can verify.')
    .option('--json', 'print one JSON document on stdout (progress stays on stderr)')
    .version(packageVersion(), '-V, --version', 'print the version')
    .hook('preAction', async (cmd, action) => {
      setJson(Boolean(cmd.opts().json));
      if (CORE_COMMANDS.has(action.name())) await loadCore();
    })
    .addHelpText('after', `
Typical use:
  zkinfer run models/mnist-mlp/model.onnx --input models/mnist-mlp/input.json --dir build/mnist -o receipt.json
  zkinfer verify receipt.json --dir build/mnist      # or --vk FILE / --vk-hash HASH from the model's owner, or --rpc

Exit codes: 0 success (verify: valid, with a trusted key), 1 receipt invalid, 2 bad usage or input,
3 internal error, 4 valid proof but no trusted key (verify: proves nothing about the model).`)
    .showSuggestionAfterError()
    .exitOverride();

  compileOptions(
    program
      .command('compile')
      .description('import and quantize a model, generate circom, compile it to R1CS + witness generator')
      .argument('<model>', 'ONNX model file')
      .option('-o, --out <dir>', 'artifact directory (default .zkinfer/<model>-<hash>)')
      .option('--segments <auto|K>', "cut the model into K segment circuits linked by commitments (auto: the fewest within --max-constraints and circom2's memory)", parseSegments)
      .option('--max-constraints <n>', "largest segment with --segments auto (default 250000; each segment also within circom2's memory, predicted)", parsePositive('--max-constraints'))
      .option('--batch <K>', 'one circuit proving K inferences (prove takes an input file with K arrays: {"input_data": [x0, x1, ...]})', parsePositive('--batch')),
  ).action(async (model: string, o: CompileOpts & SegmentOpts & { out?: string; batch?: number }) => {
    const dir = o.out ?? defaultDir(model);
    if (o.segments !== undefined) return segments.compileSegmentedCommand(model, dir, o);
    if (o.batch !== undefined) {
      const info = await compileBatch({ ...compileParams(model, dir, o), batch: o.batch });
      printCompiled(info, dir, false);
      emit({ dir, ...info, verifyGas: estimateVerifyGas(info.nPublic) });
      return;
    }
    const r = await compileModel(compileParams(model, dir, o));
    printCompiled(r.info, dir, r.cached);
    emit({ dir, cached: r.cached, ...r.info, verifyGas: estimateVerifyGas(r.info.nPublic) });
  });

  program
    .command('setup')
    .description('create Groth16 proving and verification keys for a compiled circuit')
    .argument('<dir>', 'artifact directory from compile')
    .option('--ptau <file>', 'prepared powers-of-tau file from a public ceremony (without it: a local, INSECURE dev setup, cached by power)')
    .action(async (dir: string, o: { ptau?: string }) => {
      if (isSegmented(dir)) return segments.setupSegmentedCommand(dir, o.ptau);
      const r = await setupKeys({ dir, ptauPath: o.ptau, onProgress: log });
      say(`keys        ${artifactPaths(dir).zkey}, vk hash ${r.info.vkHash.slice(0, 16)}…${r.cached ? ' (cached)' : ''}`);
      say(`setup       ${r.info.dev ? 'DEV (insecure, for testing)' : `ptau ${r.info.ptau.source}`}, power ${r.info.ptau.power}, ${r.info.seconds.toFixed(1)} s`);
      emit({ dir, cached: r.cached, ...r.info });
    });

  program
    .command('prove')
    .description('prove one inference and write a receipt')
    .argument('<dir>', 'artifact directory (after compile and setup)')
    .requiredOption('--input <file>', 'input: JSON {"input": [[...]]} / {"input_data": [[...]]}, or an ONNX TensorProto .pb')
    .option('-o, --out <file>', 'receipt file', 'receipt.json')
    .option('--sign-key <key>', 'sign the receipt with an Ethereum key: a file holding the hex key, or env:VAR')
    .option('--prover <addr>', PROVER_HELP)
    .option('--force', 'overwrite an existing receipt file')
    .option('--jobs <n>', 'segmented model: segments proven at once, each in its own process', parsePositive('--jobs'))
    .action(async (dir: string, o: { input: string; out: string; force?: boolean; signKey?: string; jobs?: number; prover?: string }) => {
      if (isSegmented(dir)) {
        if (o.prover) throw new InputError(`--prover: ${dir} is a segmented model, whose segments bind no prover`, { hint: 'drop --prover' });
        process.exitCode = (await segments.proveSegmentedCommand(dir, o)) ? EXIT.ok : EXIT.invalid;
        return;
      }
      const wallet = o.signKey ? loadSigningKey(o.signKey) : undefined;
      const r = await proveInference({ dir, inputPath: o.input, prover: proverFor(readCompiled(dir), o.prover, wallet), onProgress: log }); // verifies what it made, or throws SelfCheckError
      const signer = wallet ? await signReceipt(r.receipt, wallet) : undefined;
      const compiled = readCompiled(dir);
      writeReceipt(o.out, r.receipt, r.opening, Boolean(o.force));
      printOutputs(r.outputs);
      say(`receipt     ${o.out} (witness ${r.seconds.witness.toFixed(2)} s, prove ${r.seconds.prove.toFixed(2)} s, self-check ${r.seconds.verify.toFixed(2)} s)${signer ? `, signed by ${signer}` : ''}`);
      say(`verified    against the artifacts in ${dir}`);
      emit({ receipt: o.out, outputs: r.outputs, commitments: r.receipt.commitments, verified: true, constraints: compiled.constraints.total, signer, seconds: r.seconds });
    });

  program
    .command('verify')
    .description('verify a receipt: proof, public signals, exact values, key binding, and whether the key is trusted (exit 0 verified, 4 valid but untrusted key, 1 invalid)')
    .argument('<receipt>', 'receipt JSON file')
    .option('--dir <dir>', "trust the key of these artifacts (verification_key.json, compiled.json, setup.json): the receipt must carry exactly that key")
    .option('--vk <file>', 'trust this verification key file (e.g. published by the model owner): the receipt must carry exactly that key')
    .option('--vk-hash <sha256>', "trust this verification-key hash (e.g. the one the model owner publishes): the receipt's key must hash to it")
    .option('--opening <file>', 'also check the opening of hashed inputs/outputs (salts and values)')
    .option('--expect-signer <address>', 'require a valid signature by this Ethereum address')
    .option('--model <file>', "rebuild the circuit from this model file and require that it is the receipt's circuit (meaningful only with a trusted key)")
    .option('--rpc <url>', "also ask the model's contract on this chain (JSON-RPC endpoint); valid only if both agree, and the contract's key hash is then trusted")
    .option('--address <addr>', 'the model contract (default: from DIR/deployments.json with --dir)')
    .action(async (file: string, o: { dir?: string; vk?: string; vkHash?: string; opening?: string; expectSigner?: string; model?: string; rpc?: string; address?: string }) => {
      const receipt = loadReceipt(file);
      const opening = o.opening ? (loadReceipt(o.opening) as VerifyParams['opening']) : undefined;
      if (isSegmentedReceipt(receipt)) {
        if (o.vk || o.model) throw new InputError('a segmented receipt is checked against --dir (its compiled segments), --vk-hash (its segment-keys hash) or --rpc (its segmented contract); --vk and --model apply to single receipts');
        const verdict = await segments.verifySegmentedCommand(receipt, { dir: o.dir, opening: opening as Opening, vkHash: o.vkHash, rpc: o.rpc, address: o.address });
        process.exitCode = verdict === 'verified' ? EXIT.ok : verdict === 'untrusted' ? EXIT.untrusted : EXIT.invalid;
        return;
      }
      const trust = trustOptions(o);
      const wellFormed = !receiptFormatProblem(receipt);
      // The contract checks the proof with its own key: when it agrees, its key hash is one the prover did not choose.
      const chain = o.rpc && wellFormed ? await verifyReceiptOnChain({ receipt: receipt as Receipt, rpc: o.rpc, address: o.address, dir: o.dir }) : undefined;
      const chainHash = chain?.ok ? chain.contract.vkHash.replace(/^0x/, '') : undefined;
      if (chain?.ok) trust.by.push(`the contract ${chain.contract.address} on chain ${chain.chainId} (its VK_HASH)`);
      if (chainHash && trust.trustedVkHash && chainHash !== trust.trustedVkHash.trim().toLowerCase().replace(/^0x/, '')) trust.by.pop(); // the --vk-hash check below names the mismatch
      const v = await verifyReceipt({ receipt, trusted: trust.trusted, trustedVkHash: trust.trustedVkHash ?? chainHash, trustedBy: trust.by.join(' and ') || undefined, opening, expectSigner: o.expectSigner });
      if (o.model && wellFormed) {
        log(`verify: rebuilding the circuit from ${o.model}`);
        const c = await checkModelFile(receipt as Receipt, o.model, v.trust);
        v.checks.push(c);
        if (!c.ok && v.ok) Object.assign(v, { ok: false, failed: c, verdict: 'invalid' });
      }
      printVerify(v, chain && { ok: chain.ok, detail: chain.detail }, o.model);
      const ok = v.ok && (!o.rpc || chain?.ok === true);
      const verdict = ok ? v.verdict : 'invalid';
      emit({ verified: verdict === 'verified', verdict, trust: v.trust, failed: v.failed?.name ?? (chain && !chain.ok ? 'on-chain' : undefined), reason: v.failed?.detail ?? chain?.reason, checks: v.checks, devSetup: v.devSetup, vkSource: v.vkSource, signer: v.signer, ...(chain ? { onChain: { ok: chain.ok, reason: chain.reason, chainId: chain.chainId, contract: chain.contract, gas: chain.gas?.toString() } } : {}) });
      process.exitCode = verdict === 'verified' ? EXIT.ok : verdict === 'untrusted' ? EXIT.untrusted : EXIT.invalid;
    });

  program
    .command('export-verifier')
    .description('write the Solidity Groth16 verifier contract for a circuit')
    .argument('<dir>', 'artifact directory (after setup)')
    .option('-o, --out <file>', 'output file (default DIR/Verifier.sol)')
    .action(async (dir: string, o: { out?: string }) => {
      const out = o.out ?? artifactPaths(dir).verifier;
      const r = await exportVerifier({ dir, outPath: out });
      say(`verifier    ${out} (${r.bytes} bytes, ${r.nPublic} public signals)`);
      emit({ verifier: out, ...r });
    });

  compileOptions(
    program
      .command('run')
      .description('compile, setup, prove and verify in one go, reusing cached artifacts')
      .argument('<model>', 'ONNX model file')
      .requiredOption('--input <file>', 'input file (as for prove)')
      .option('--dir <dir>', 'artifact directory (default .zkinfer/<model>-<hash>)')
      .option('--ptau <file>', 'prepared powers-of-tau file (default: dev setup)')
      .option('-o, --out <file>', 'receipt file', 'receipt.json')
      .option('--sign-key <key>', 'sign the receipt with an Ethereum key: a file holding the hex key, or env:VAR')
      .option('--prover <addr>', PROVER_HELP)
      .option('--force', 'overwrite an existing receipt file'),
  ).action(async (model: string, o: CompileOpts & { input: string; dir?: string; ptau?: string; out: string; force?: boolean; signKey?: string; prover?: string }) => {
    const dir = o.dir ?? defaultDir(model);
    refuseOverwrite([o.out], Boolean(o.force));
    const wallet = o.signKey ? loadSigningKey(o.signKey) : undefined;
    const seconds: Record<string, number> = {};
    let t = performance.now();
    const lap = (k: string) => {
      const n = performance.now();
      seconds[k] = Number(((n - t) / 1000).toFixed(3));
      t = n;
    };
    const c = await compileModel(compileParams(model, dir, o));
    lap('compile');
    printCompiled(c.info, dir, c.cached);
    const s = await setupKeys({ dir, ptauPath: o.ptau, onProgress: log });
    lap('setup');
    const p = await proveInference({ dir, inputPath: o.input, prover: proverFor(c.info, o.prover, wallet), onProgress: log }); // verifies what it made, or throws SelfCheckError
    seconds.witness = p.seconds.witness;
    seconds.prove = p.seconds.prove;
    seconds.verify = p.seconds.verify;
    const signer = wallet ? await signReceipt(p.receipt, wallet) : undefined;
    writeReceipt(o.out, p.receipt, p.opening, Boolean(o.force));
    const v = p.verified;
    printOutputs(p.outputs);
    say(`timings     ${Object.entries(seconds).map(([k, x]) => `${k} ${x.toFixed(2)} s`).join(', ')}`);
    say(`receipt     ${o.out}${s.info.dev ? ' (dev setup: insecure, for testing)' : ''}`);
    say(verdictText(v));
    emit({ dir, receipt: o.out, model: c.info.model, constraints: c.info.constraints.total, outputs: p.outputs, commitments: p.receipt.commitments, signer, verified: v.verdict === 'verified', verdict: v.verdict, trust: v.trust, checks: v.checks, devSetup: s.info.dev, cached: { compile: c.cached, setup: s.cached }, seconds });
  });
  registerCommands(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildCli();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return Number(process.exitCode ?? 0);
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof SelfCheckError) {
      // A receipt the prover could not verify: nothing was written; name the failed check as verify does.
      process.stderr.write(`internal error[${e.code}]: ${e.message} (${e.hint})\n`);
      if (isJson()) process.stdout.write(`${JSON.stringify({ verified: false, verdict: 'invalid', failed: e.check.name, reason: e.check.detail, checks: e.result.checks, error: { code: e.code, name: e.name, message: e.message, hint: e.hint } }, null, 2)}\n`);
      return EXIT.internal;
    }
    if (e instanceof ZkinferError) {
      // One line: the message names the file/node/field; the hint says how to fix it.
      process.stderr.write(`${errorText(e)}\n`);
      if (isJson()) process.stdout.write(`${JSON.stringify({ error: { code: e.code, name: e.name, message: e.message, hint: e.hint } }, null, 2)}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`internal error: ${(e as Error)?.stack ?? String(e)}\nThis is a bug in zkinfer; please report it with the command you ran.\n`);
    return EXIT.internal;
  } finally {
    await terminateCurve();
  }
}

const code = await main(process.argv.slice(2));
process.exitCode = code;
