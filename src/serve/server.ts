/**
 * The proving service's HTTP side (Fastify): registers models, answers inferences at once from the integer
 * program with a signed attestation, queues the proof on BullMQ, and serves status, receipts, events,
 * artifacts (to workers, by content hash) and metrics. Workers (./worker.ts) run in other processes.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import path from 'node:path';
import Fastify from 'fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { FlowProducer, Queue } from 'bullmq';
import type { ConnectionOptions, Job } from 'bullmq';
import { Redis } from 'ioredis';
import { Wallet } from 'ethers';
import { sha256 } from '../artifacts/hash.js';
import { ZkinferError, errorText } from '../errors.js';
import { attest, ATTESTATION_FORMAT } from './attest.js';
import { createEventHub } from './events.js';
import type { JobEvent } from './events.js';
import { JOB_OPTIONS, QUEUE_NAME, SEGMENT_JOB_ID, inferenceView } from './jobs.js';
import type { InferenceView, ProofJobData, ProofJobResult } from './jobs.js';
import { createMetrics } from './metrics.js';
import { describeModel, evaluateInput, loadModel, readModel, readModels, saveModel } from './models.js';
import type { LoadedModel, ModelEntry } from './models.js';
import { redisOptions } from './redis.js';
import { createSettler } from './settle.js';
import { threadedSigner } from './sign-thread.js';
import { createArchive } from './retention.js';
import type { SettleParams } from './settle.js';
import { modelIdOf } from '../receipt.js';
import { openApiDocument, schemas } from './schemas.js';
import { describeSegmented, loadSegmented, segmentedFlow, segmentedView } from './segments.js';
import { isSegmented } from '../compose/compile.js';

export const SERVICE_VERSION = '1';

export interface CreateServerParams {
  /** Redis URL (redis://…, unix:///….sock). */
  redis: string;
  /** Signs attestations (default: a fresh random key, printed by `signer`). */
  signer?: Pick<Wallet, 'address' | 'signMessage'>;
  /** Bearer key for every mutating endpoint (default: none, open). */
  apiKey?: string;
  /** Bearer key for POST /v1/models (default: apiKey). */
  adminKey?: string;
  /** Bearer key workers present to fetch artifacts (default: none, open). */
  workerKey?: string;
  /** Artifact directories to register at start. */
  models?: string[];
  /** Largest request body in bytes (default 1 MiB; more: 413). */
  bodyLimit?: number;
  /** Most inferences waiting to be proved (default 10 000; more: 429 with Retry-After). */
  maxQueued?: number;
  /** Longest `?wait=` in seconds (default 120). */
  maxWaitSeconds?: number;
  /** Submit every proved receipt to this registry on chain (src/chain/registry.ts); models are registered there first. */
  settle?: SettleParams;
  /** Allow browser pages from this origin ('*' for any) to call the API (default: none). */
  cors?: string;
  /** Fastify's request log (default off). */
  logger?: boolean;
  /**
   * Keep proved inferences in Redis this long, then move them to `archiveDir` (./retention.ts); reads fall back
   * to the archive. Default: kept in Redis forever.
   */
  retainSeconds?: number;
  /** Where proved inferences go after `retainSeconds` (needed with it; `serve` uses DATA/receipts). */
  archiveDir?: string;
}

export interface ProvingServer {
  app: FastifyInstance;
  queue: Queue<ProofJobData, ProofJobResult, string>;
  /** Address that signs attestations. */
  signer: string;
  /** With settlement on: resolves once the start-up catch-up has settled every proved, unsettled inference (how many). */
  caughtUp: Promise<number>;
  /** With retention on: move the proved inferences past their retention time to the archive now (how many). */
  trim(): Promise<number>;
  /** Register an artifact directory (as POST /v1/models does). */
  registerModel(dir: string): Promise<ModelEntry>;
  /** Start listening; resolves to the base URL. */
  listen(opts?: { port?: number; host?: string }): Promise<string>;
  close(): Promise<void>;
}

/** An error with an HTTP status and the CLI's `error[code]: …` text. */
export class HttpError extends ZkinferError {
  override name = 'HttpError';
  readonly status: number;
  readonly headers: Record<string, string>;
  constructor(status: number, code: string, message: string, opts: { hint?: string; headers?: Record<string, string> } = {}) {
    super(code, message, { hint: opts.hint });
    this.status = status;
    this.headers = opts.headers ?? {};
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();
function checkBearer(req: FastifyRequest, key: string | undefined, what: string): void {
  if (!key) return;
  const h = req.headers.authorization ?? '';
  const token = h.startsWith('Bearer ') ? h.slice(7) : '';
  if (!token || !timingSafeEqual(digest(token), digest(key))) {
    throw new HttpError(401, 'unauthorized', `${req.method} ${req.url.split('?')[0]} needs the ${what}`, { hint: 'send Authorization: Bearer <key>', headers: { 'www-authenticate': 'Bearer' } });
  }
}

function errorReply(reply: FastifyReply, status: number, e: ZkinferError): FastifyReply {
  return reply.code(status).type('application/json').send({ error: errorText(e), code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) });
}

/** Fastify's own request errors (schema, JSON syntax, size) as ZkinferErrors with their status. */
function requestError(e: FastifyError): { status: number; error: ZkinferError } {
  if (e.validation) return { status: 400, error: new ZkinferError('request', `${e.validationContext ?? 'request'}${e.message.replace(/^[a-z]+(?=\/| )/, '')}`, { hint: 'see GET /v1/openapi.json' }) };
  if (e.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, error: new ZkinferError('too-large', `request body over the limit of ${e.message.match(/\d+/)?.[0] ?? '?'} bytes`, { hint: 'send a smaller input, or start the server with a larger --body-limit' }) };
  if (e.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return { status: 415, error: new ZkinferError('request', `unsupported content type`, { hint: 'send Content-Type: application/json' }) };
  if (e.statusCode === 400) return { status: 400, error: new ZkinferError('request', `body is not valid JSON (${e.message})`, { hint: 'send a JSON object such as {"input": [[…]]}' }) };
  return { status: e.statusCode ?? 500, error: new ZkinferError('request', e.message) };
}

/**
 * Create the HTTP server (not yet listening) on a Redis shared with the workers.
 * @example const s = await createServer({ redis: 'redis://127.0.0.1:6379', models: ['build/mnist'] }); await s.listen({ port: 8080 });
 */
export async function createServer(params: CreateServerParams): Promise<ProvingServer> {
  const options = redisOptions(params.redis);
  const connection = options as ConnectionOptions;
  const redis = new Redis(options);
  redis.on('error', () => {}); // ioredis reconnects; requests meanwhile fail with 503
  const queue = new Queue<ProofJobData, ProofJobResult, string>(QUEUE_NAME, { connection });
  queue.on('error', () => {});
  const flows = new FlowProducer({ connection }); // segmented models: a parent job and one child per segment
  flows.on('error', () => {});
  const hub = createEventHub(QUEUE_NAME, connection);
  const signer = threadedSigner(params.signer ?? Wallet.createRandom());
  const metrics = createMetrics(queue);
  const adminKey = params.adminKey ?? params.apiKey;
  const maxQueued = params.maxQueued ?? 10_000;
  const maxWait = params.maxWaitSeconds ?? 120;

  const settler = params.settle ? createSettler(redis, params.settle) : undefined;
  const loaded = new Map<string, LoadedModel>();
  /** sha256 → file, for every registered model's artifacts. */
  const blobs = new Map<string, string>();
  const remember = (entry: ModelEntry): LoadedModel => {
    const m = entry.segmented ? loadSegmented(entry) : loadModel(entry);
    loaded.set(entry.id, m);
    for (const [rel, a] of Object.entries(entry.artifacts)) blobs.set(a.sha256, path.join(entry.dir, rel));
    return m;
  };
  const getModel = async (id: string): Promise<LoadedModel> => {
    const have = loaded.get(id);
    if (have) return have;
    const entry = await readModel(redis, id);
    if (!entry) throw new HttpError(404, 'not-found', `model ${id}: not registered`, { hint: 'GET /v1/models lists the models; POST /v1/models registers one' });
    return remember(entry);
  };
  const registerModel = async (dir: string): Promise<ModelEntry> => {
    const m = isSegmented(dir) ? describeSegmented(dir) : describeModel(dir);
    await settler?.prepare(m.entry.id, m.entry.dir);
    const prev = await readModel(redis, m.entry.id);
    if (prev && prev.vkHash !== m.entry.vkHash && prev.dir !== m.entry.dir) {
      throw new HttpError(409, 'conflict', `model ${m.entry.id} is already registered from ${prev.dir} with other keys (vk ${prev.vkHash.slice(0, 12)}…)`, { hint: 'serve one setup per model' });
    }
    await saveModel(redis, m.entry);
    loaded.set(m.entry.id, m);
    for (const [rel, a] of Object.entries(m.entry.artifacts)) blobs.set(a.sha256, path.join(m.entry.dir, rel));
    return m.entry;
  };
  for (const e of await readModels(redis)) {
    if (!existsSync(e.dir)) continue;
    remember(e);
    await settler?.prepare(e.id, e.dir);
  }
  for (const dir of params.models ?? []) await registerModel(dir);

  // Queue depth and worker count for the 429 check, read in the background at most every 250 ms (workers every
  // 2 s): a request never waits for them. Awaited inline, each refresh (counts, CLIENT LIST) held up every
  // request in flight. Counts and adds share one connection, so a count lands before any later add's ++.
  const depth = { at: 0, queued: 0, workers: 1, workersAt: 0 };
  let refreshing: Promise<void> | undefined;
  const refreshDepth = (): Promise<void> =>
    (refreshing ??= (async () => {
      depth.at = Date.now();
      await Promise.all([
        queue.getJobCounts('waiting', 'prioritized', 'delayed').then((c) => (depth.queued = (c.waiting ?? 0) + (c.prioritized ?? 0) + (c.delayed ?? 0))),
        depth.at - depth.workersAt > 2000 && queue.getWorkersCount().then((n) => ([depth.workers, depth.workersAt] = [n, Date.now()])),
      ]);
    })().finally(() => (refreshing = undefined)));
  const queueDepth = () => {
    if (Date.now() - depth.at > 250) refreshDepth().catch(() => {}); // Redis down: the add below answers 503
    return { queued: depth.queued, workers: depth.workers };
  };
  await refreshDepth();

  if (params.retainSeconds !== undefined && !params.archiveDir) throw new ZkinferError('usage', 'retainSeconds needs archiveDir (where proved inferences go after it)');
  const archive = params.retainSeconds !== undefined ? createArchive({ dir: params.archiveDir!, retainMs: params.retainSeconds * 1000, redis, queue }) : undefined;
  const trimTimer = archive ? setInterval(() => void archive.trim().catch(() => 0), Math.min(60_000, Math.max(1000, (params.retainSeconds! * 1000) / 4))) : undefined;
  trimTimer?.unref();

  const view = async (id: string): Promise<InferenceView | undefined> => {
    const job = (await queue.getJob(id)) as Job<ProofJobData, ProofJobResult> | undefined;
    let v = job ? inferenceView(job, await job.getState()) : archive?.read(id);
    if (!v) return undefined;
    if (job?.data.segmented) v = await segmentedView(v, queue, job.data.segmented.count);
    const settlement = v.status === 'proved' ? await settler?.read(id) : undefined;
    return settlement ? { ...v, settlement } : v;
  };
  const mustView = async (id: string): Promise<InferenceView> => {
    const v = await view(id);
    if (!v) throw new HttpError(404, 'not-found', `inference ${id}: not found`);
    return v;
  };
  const terminal = (v: InferenceView) => v.status === 'proved' || v.status === 'failed';
  /** The inference once proved or failed, or as it is after `seconds`. */
  const waitFor = async (id: string, seconds: number): Promise<InferenceView> => {
    let wake: () => void = () => {};
    const woken = new Promise<void>((r) => (wake = r));
    // a segmented inference fails as soon as one segment does (segmentedView)
    const off = hub.subscribe(id, (e: JobEvent) => (e.kind === 'completed' || e.kind === 'failed' || (e.kind === 'segment' && e.event === 'failed')) && wake());
    try {
      const v = await mustView(id);
      if (terminal(v) || seconds <= 0) return v;
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([woken, new Promise<void>((r) => (timer = setTimeout(r, Math.min(seconds, maxWait) * 1000)))]);
      clearTimeout(timer);
      return mustView(id);
    } finally {
      off();
    }
  };

  hub.onAny((jobId, e) => {
    if (SEGMENT_JOB_ID.test(jobId)) return; // a segment: its inference settles and counts once assembled (or failed)
    if (e.kind === 'completed' && e.result && settler) void settler.settle(jobId, modelIdOf(e.result.receipt.model), e.result.receipt);
    if (e.kind === 'completed' && e.result) {
      // the model from the receipt in the event: no second read of the 26 KB job per proof
      metrics.proofSeconds.observe({ model: modelIdOf(e.result.receipt.model).slice(0, 16) }, e.result.seconds.witness + e.result.seconds.prove);
    } else if (e.kind === 'failed') {
      void queue.getJob(jobId).then((j) => j && metrics.failures.inc({ model: j.data.modelId.slice(0, 16) }));
    }
  });
  await hub.ready();
  // proved while no settling server listened (a restart, a crash): settled now, in the background
  const caughtUp = settler
    ? settler.catchUp(queue.keys.completed, async (id) => {
        if (SEGMENT_JOB_ID.test(id)) return undefined;
        const j = (await queue.getJob(id)) as Job<ProofJobData, ProofJobResult> | undefined;
        return j?.returnvalue?.receipt ? { modelId: modelIdOf(j.returnvalue.receipt.model), receipt: j.returnvalue.receipt } : undefined;
      }).catch(() => 0)
    : Promise.resolve(0);

  const app = Fastify({
    logger: params.logger ?? false,
    bodyLimit: params.bodyLimit ?? 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });
  app.setErrorHandler((e: FastifyError, _req, reply) => {
    if (e instanceof HttpError) return errorReply(reply.headers(e.headers), e.status, e);
    if (e instanceof ZkinferError) return errorReply(reply, 400, e);
    if (e.statusCode && e.statusCode < 500) {
      const r = requestError(e);
      return errorReply(reply, r.status, r.error);
    }
    if (/ECONNREFUSED|Connection is closed|ENOENT.*sock/.test(String(e.message))) return errorReply(reply, 503, new ZkinferError('unavailable', 'the queue (Redis) is unreachable', { hint: 'retry shortly' }));
    app.log.error(e);
    return errorReply(reply, 500, new ZkinferError('internal', 'internal error (a bug in zkinfer: please report it)'));
  });
  app.setNotFoundHandler((req, reply) => errorReply(reply, 404, new ZkinferError('not-found', `${req.method} ${req.url.split('?')[0]}: no such endpoint`, { hint: 'GET /v1/openapi.json lists the API' })));
  if (params.cors) {
    const origin = params.cors;
    app.addHook('onRequest', (req, reply, done) => {
      reply.header('access-control-allow-origin', origin);
      if (origin !== '*') reply.header('vary', 'origin');
      if (req.method === 'OPTIONS') {
        void reply
          .code(204)
          .headers({ 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'authorization, content-type, idempotency-key', 'access-control-max-age': '600' })
          .send();
        return;
      }
      done();
    });
  }
  app.addHook('onResponse', (req, reply, done) => {
    metrics.http.observe({ route: req.routeOptions.url ?? 'unknown', method: req.method, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
    done();
  });

  app.get('/healthz', async (_req, reply) => {
    try {
      await redis.ping();
      return { ok: true, signer: signer.address, models: loaded.size };
    } catch (e) {
      return reply.code(503).send({ ok: false, error: `redis: ${(e as Error).message}` });
    }
  });
  app.get('/metrics', async (_req, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
  app.get('/v1/openapi.json', async () => openApiDocument(SERVICE_VERSION));

  app.post<{ Body: { dir: string } }>('/v1/models', { schema: schemas.registerModel }, async (req, reply) => {
    checkBearer(req, adminKey, 'admin key');
    const entry = await registerModel(req.body.dir);
    return reply.code(201).send(publicModel(entry));
  });
  app.get('/v1/models', async () => ({ models: (await readModels(redis)).map(publicModel) }));

  app.post<{ Params: { id: string }; Body: { input: unknown[] }; Querystring: { wait?: number } }>('/v1/models/:id/inferences', { schema: schemas.infer }, async (req, reply) => {
    const parsed = reply.elapsedTime; // request read, JSON parsed, schema checked
    const t0 = performance.now();
    checkBearer(req, params.apiKey, 'API key');
    const model = await getModel(req.params.id);
    const d = queueDepth();
    if (d.queued >= maxQueued) {
      const retry = Math.max(1, Math.ceil((d.queued * (model.entry.predictedProveSeconds ?? 1)) / Math.max(1, d.workers)));
      throw new HttpError(429, 'queue-full', `${d.queued} inferences are waiting to be proved (limit ${maxQueued})`, { hint: `retry after ${retry} s`, headers: { 'retry-after': String(retry) } });
    }
    const ev = evaluateInput(model, req.body);
    const key = req.headers['idempotency-key'];
    const idemKey = typeof key === 'string' ? key : undefined;
    const id = idemKey ? sha256('zkinfer.idempotency/1\n', model.entry.id, '\n', idemKey).slice(0, 32) : randomBytes(16).toString('hex');
    if (idemKey) {
      const prev = await view(id);
      if (prev) {
        if (prev.attestation.inputHash !== ev.inputHash) throw new HttpError(409, 'conflict', `Idempotency-Key '${idemKey}' was used for another input`, { hint: 'use a new key for a new inference' });
        const v = req.query.wait ? await waitFor(id, req.query.wait) : prev;
        return reply.code(v.status === 'proved' ? 200 : 202).send(v);
      }
    }
    const e = model.entry;
    const t1 = performance.now();
    const attestation = await attest(signer, { format: ATTESTATION_FORMAT, id, modelId: e.id, vkHash: e.vkHash, inputHash: ev.inputHash, outputsHash: ev.outputsHash });
    const data: ProofJobData = {
      id, modelId: e.id, vkHash: e.vkHash, input: req.body, inputHash: ev.inputHash, outputsHash: ev.outputsHash, outputs: ev.outputTensors,
      attestation, artifacts: e.artifacts, predictedProveSeconds: e.predictedProveSeconds, acceptedAt: Date.now(),
    };
    const t2 = performance.now();
    if (model.segments) await flows.add(segmentedFlow(model, ev, data));
    else await queue.add(e.id, data, { ...JOB_OPTIONS, jobId: id });
    const t3 = performance.now();
    depth.queued++;
    metrics.accepted.inc({ model: e.id.slice(0, 16) });
    const estimate = e.predictedProveSeconds !== undefined ? Number((e.predictedProveSeconds * (1 + d.queued / Math.max(1, d.workers))).toFixed(2)) : undefined;
    if (req.query.wait) {
      const v = await waitFor(id, req.query.wait);
      return reply.code(v.status === 'proved' ? 200 : 202).send({ ...v, estimatedProofSeconds: estimate });
    }
    // where the answer's time went (the bench reads it): request parsing, the integer program (with the
    // idempotency read when keyed), the attestation signature, the job's fsynced add to Redis, all of it
    reply.header('server-timing', `parse;dur=${parsed.toFixed(2)}, answer;dur=${(t1 - t0).toFixed(2)}, sign;dur=${(t2 - t1).toFixed(2)}, queue;dur=${(t3 - t2).toFixed(2)}, total;dur=${reply.elapsedTime.toFixed(2)}`);
    return reply.code(202).send({ id, modelId: e.id, status: 'queued', outputs: ev.outputTensors, attestation, estimatedProofSeconds: estimate, attempts: 0, timings: { acceptedAt: new Date(data.acceptedAt).toISOString() } });
  });

  app.get<{ Params: { id: string }; Querystring: { wait?: number } }>('/v1/inferences/:id', { schema: schemas.inferenceWait }, async (req) => waitFor(req.params.id, req.query.wait ?? 0));

  app.get<{ Params: { id: string } }>('/v1/inferences/:id/events', { schema: schemas.inference }, async (req, reply) => {
    const id = req.params.id;
    let last = '';
    const queueOfEvents: Promise<void>[] = [];
    const raw = reply.raw;
    const send = async (): Promise<boolean> => {
      const v = await view(id);
      if (!v) return true;
      const now = `${v.status} ${v.segments?.map((x) => x.status).join(',') ?? ''}`; // a segmented inference: also each segment's
      if (now !== last) {
        last = now;
        raw.write(`event: status\ndata: ${JSON.stringify(v)}\n\n`);
      }
      return terminal(v);
    };
    let done = false;
    let finish: () => void = () => {};
    const finished = new Promise<void>((r) => (finish = r));
    const off = hub.subscribe(id, () => {
      queueOfEvents.push(
        send().then((end) => {
          if (end) finish();
        }),
      );
    });
    const first = await view(id);
    if (!first) {
      off();
      throw new HttpError(404, 'not-found', `inference ${id}: not found`);
    }
    reply.hijack();
    raw.writeHead(200, { ...(reply.getHeaders() as Record<string, string>), 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
    req.raw.on('close', finish);
    if (!(await send())) await finished;
    done = true;
    clearInterval(ping);
    off();
    await Promise.allSettled(queueOfEvents);
    if (done) raw.end();
  });

  app.get<{ Params: { sha256: string } }>('/v1/artifacts/:sha256', { schema: schemas.artifact }, async (req, reply) => {
    checkBearer(req, params.workerKey, 'worker key');
    let file = blobs.get(req.params.sha256);
    if (!file) {
      for (const e of await readModels(redis)) if (existsSync(e.dir)) remember(e);
      file = blobs.get(req.params.sha256);
    }
    if (!file || !existsSync(file)) throw new HttpError(404, 'not-found', `artifact ${req.params.sha256}: not found`);
    return reply.type('application/octet-stream').send(createReadStream(file));
  });

  let url = '';
  return {
    app,
    queue,
    signer: signer.address,
    caughtUp,
    trim: () => archive?.trim() ?? Promise.resolve(0),
    registerModel,
    async listen(opts = {}) {
      await app.listen({ port: opts.port ?? 8080, host: opts.host ?? '127.0.0.1' });
      const a = app.server.address();
      url = typeof a === 'object' && a ? `http://${a.family === 'IPv6' ? `[${a.address}]` : a.address}:${a.port}` : String(a);
      return url;
    },
    async close() {
      clearInterval(trimTimer);
      await app.close();
      await archive?.idle();
      await settler?.idle();
      await hub.close();
      await flows.close();
      await queue.close();
      await signer.close();
      redis.disconnect();
    },
  };
}

/** What GET /v1/models shows of a model (not its directory). */
function publicModel(e: ModelEntry) {
  return { id: e.id, name: e.name, file: e.file, vkHash: e.vkHash, circuitHash: e.circuitHash, visibility: e.visibility, constraints: e.constraints, devSetup: e.devSetup, predictedProveSeconds: e.predictedProveSeconds, ...(e.segmented ? { segments: e.segmented.parts.length } : {}), registeredAt: e.registeredAt };
}
