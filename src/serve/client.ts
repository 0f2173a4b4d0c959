/**
 * A typed client for the proving service (fetch-based: Node 18+ and browsers; no Node built-ins).
 * @example
 *   const client = new ZkinferClient({ url: 'http://127.0.0.1:8080' });
 *   const inf = await client.infer(modelId, { input: [[...]] });   // outputs + attestation at once
 *   const { receipt } = await client.waitForReceipt(inf.id);         // the proof of exactly those outputs
 */
import type { InferenceView } from './jobs.js';
import type { Attestation } from './attest.js';

export type { InferenceView, Attestation };

export interface ModelSummary {
  id: string;
  name: string;
  file: string;
  vkHash: string;
  circuitHash: string;
  visibility: Record<string, string>;
  constraints: number;
  devSetup: boolean;
  /** A segmented model: the slowest segment's (they are proven in parallel). */
  predictedProveSeconds?: number;
  /** A segmented model: how many segments (each proven by its own job); vkHash is then the segment keys hash. */
  segments?: number;
}

/** A non-2xx answer: the status and the service's `error[code]: …` text. */
export class ZkinferServiceError extends Error {
  override name = 'ZkinferServiceError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

export interface ZkinferClientOptions {
  /** The service's base URL. */
  url: string;
  /** Bearer key (the service's --api-key). */
  apiKey?: string;
  fetch?: typeof fetch;
}

export class ZkinferClient {
  private readonly base: string;
  private readonly f: typeof fetch;
  constructor(private readonly opts: ZkinferClientOptions) {
    this.base = opts.url.replace(/\/$/, '');
    this.f = opts.fetch ?? ((...a) => fetch(...a));
  }

  private async call<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T }> {
    const res = await this.f(`${this.base}${path}`, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    let doc: unknown;
    try {
      doc = JSON.parse(text);
    } catch {
      doc = undefined;
    }
    if (!res.ok) {
      const e = doc as { error?: string; code?: string } | undefined;
      const retry = res.headers.get('retry-after');
      throw new ZkinferServiceError(res.status, e?.code ?? 'http', e?.error ?? `${method} ${path}: HTTP ${res.status}`, retry ? Number(retry) : undefined);
    }
    return { status: res.status, body: doc as T };
  }

  /** Registered models. */
  async models(): Promise<ModelSummary[]> {
    return (await this.call<{ models: ModelSummary[] }>('GET', '/v1/models')).body.models;
  }

  /** Register an artifact directory on the server's machine (admin key). */
  async registerModel(dir: string): Promise<ModelSummary> {
    return (await this.call<ModelSummary>('POST', '/v1/models', { dir })).body;
  }

  /**
   * Run an inference: outputs and the service's signed attestation now; the proof is queued.
   * @param opts.idempotencyKey a retry with the same key returns the same inference (never a second proof)
   * @param opts.waitSeconds block up to this long for the receipt
   */
  async infer(modelId: string, input: { input: unknown[] }, opts: { idempotencyKey?: string; waitSeconds?: number } = {}): Promise<InferenceView> {
    const q = opts.waitSeconds ? `?wait=${opts.waitSeconds}` : '';
    return (await this.call<InferenceView>('POST', `/v1/models/${modelId}/inferences${q}`, input, opts.idempotencyKey ? { 'idempotency-key': opts.idempotencyKey } : {})).body;
  }

  /** An inference's status (with its receipt once proved). */
  async inference(id: string, waitSeconds = 0): Promise<InferenceView> {
    return (await this.call<InferenceView>('GET', `/v1/inferences/${id}${waitSeconds ? `?wait=${waitSeconds}` : ''}`)).body;
  }

  /**
   * Wait until the inference is proved (resolves with the receipt in it) or failed (rejects with the reason).
   * Long-polls the service in steps of up to 30 s.
   */
  async waitForReceipt(id: string, opts: { timeoutSeconds?: number } = {}): Promise<InferenceView & { receipt: NonNullable<InferenceView['receipt']> }> {
    const deadline = Date.now() + (opts.timeoutSeconds ?? 600) * 1000;
    for (;;) {
      const left = Math.ceil((deadline - Date.now()) / 1000);
      const v = await this.inference(id, Math.max(1, Math.min(30, left)));
      if (v.status === 'proved' && v.receipt) return v as InferenceView & { receipt: NonNullable<InferenceView['receipt']> };
      if (v.status === 'failed') throw new ZkinferServiceError(200, 'failed', `inference ${id} failed: ${v.error ?? 'no reason given'}`);
      if (Date.now() >= deadline) throw new ZkinferServiceError(408, 'timeout', `inference ${id}: still ${v.status} after ${opts.timeoutSeconds ?? 600} s`);
    }
  }
}
