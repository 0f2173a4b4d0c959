/** The page's handle on the worker: one promise per request, progress through a callback. */
import type { ErrorInfo, ProveTimings, SolidityCallData, TrustSources, WorkerReply, WorkerRequest } from './protocol.js';
import type { Receipt } from '../../src/receipt.js';
import type { VerifyResult } from '../../src/verify/verify.js';

/** A failure reported by the worker (a typed zkinfer error keeps its name, code and hint). */
export class WorkerError extends Error {
  readonly info: ErrorInfo;
  constructor(info: ErrorInfo) {
    super(info.message);
    this.name = info.name;
    this.info = info;
  }
}

type Pending = { resolve: (m: WorkerReply) => void; reject: (e: Error) => void; onProgress?: (stage: string, fraction: number) => void };

// Distributes WorkerRequest without its id to each member of the union.
type Request = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

export class ZkWorker {
  private readonly worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  private readonly pending = new Map<number, Pending>();
  private next = 1;

  constructor() {
    this.worker.onmessage = (ev: MessageEvent<WorkerReply>) => {
      const m = ev.data;
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') return p.onProgress?.(m.stage, m.fraction);
      this.pending.delete(m.id);
      if (m.kind === 'error') p.reject(new WorkerError(m.error));
      else p.resolve(m);
    };
    this.worker.onerror = (ev) => {
      for (const p of this.pending.values()) p.reject(new Error(`worker failed: ${ev.message}`));
      this.pending.clear();
    };
  }

  private call(req: Request, onProgress?: Pending['onProgress']): Promise<WorkerReply> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...req, id });
    });
  }

  async verify(receipt: unknown, trust: TrustSources): Promise<{ result: VerifyResult; ms: number }> {
    const m = await this.call({ kind: 'verify', receipt, ...trust });
    if (m.kind !== 'verified') throw new Error(`unexpected reply ${m.kind}`);
    return m;
  }

  async prove(artifacts: string, inputs: number[][], onProgress: Pending['onProgress']): Promise<{ receipt: Receipt; result: VerifyResult; ms: ProveTimings }> {
    const m = await this.call({ kind: 'prove', artifacts, inputs }, onProgress);
    if (m.kind !== 'proved') throw new Error(`unexpected reply ${m.kind}`);
    return m;
  }

  async calldata(receipt: Receipt): Promise<SolidityCallData> {
    const m = await this.call({ kind: 'calldata', receipt });
    if (m.kind !== 'calldata') throw new Error(`unexpected reply ${m.kind}`);
    return m.args;
  }
}
