/**
 * One QueueEvents subscription per server, fanned out to whoever waits on an inference (`?wait=`, SSE).
 */
import { QueueEvents } from 'bullmq';
import type { ConnectionOptions } from 'bullmq';
import { SEGMENT_JOB_ID } from './jobs.js';
import type { ProofJobResult } from './jobs.js';

export type JobEvent =
  | { kind: 'active' | 'waiting' | 'delayed' | 'stalled' }
  | { kind: 'completed'; result?: ProofJobResult }
  | { kind: 'failed'; reason: string }
  /** A segment job of a segmented inference changed (its subscribers are the inference's). */
  | { kind: 'segment'; index: number; event: string };

export interface JobEventHub {
  /** Call `fn` on each event of the job until the returned function is called. */
  subscribe(jobId: string, fn: (e: JobEvent) => void): () => void;
  /** Observe every job's events (metrics). */
  onAny(fn: (jobId: string, e: JobEvent) => void): void;
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function createEventHub(queueName: string, connection: ConnectionOptions): JobEventHub {
  const events = new QueueEvents(queueName, { connection });
  const listeners = new Map<string, Set<(e: JobEvent) => void>>();
  const any: ((jobId: string, e: JobEvent) => void)[] = [];
  const emit = (jobId: string, e: JobEvent) => {
    for (const f of any) f(jobId, e);
    for (const f of listeners.get(jobId) ?? []) f(e);
    const seg = SEGMENT_JOB_ID.exec(jobId);
    if (seg) for (const f of listeners.get(seg[1]!) ?? []) f({ kind: 'segment', index: Number(seg[2]), event: e.kind });
  };
  events.on('active', ({ jobId }) => emit(jobId, { kind: 'active' }));
  events.on('waiting', ({ jobId }) => emit(jobId, { kind: 'waiting' }));
  events.on('delayed', ({ jobId }) => emit(jobId, { kind: 'delayed' }));
  events.on('stalled', ({ jobId }) => emit(jobId, { kind: 'stalled' }));
  events.on('completed', ({ jobId, returnvalue }) => {
    let result: ProofJobResult | undefined;
    try {
      result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as ProofJobResult;
    } catch {
      result = undefined;
    }
    emit(jobId, { kind: 'completed', result });
  });
  events.on('failed', ({ jobId, failedReason }) => emit(jobId, { kind: 'failed', reason: failedReason }));
  events.on('error', () => {}); // reconnects by itself; a failed read must not crash the server
  return {
    subscribe(jobId, fn) {
      let set = listeners.get(jobId);
      if (!set) listeners.set(jobId, (set = new Set()));
      set.add(fn);
      return () => {
        set!.delete(fn);
        if (!set!.size) listeners.delete(jobId);
      };
    },
    onAny(fn) {
      any.push(fn);
    },
    ready: () => events.waitUntilReady().then(() => undefined),
    close: () => events.close(),
  };
}
