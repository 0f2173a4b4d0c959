/**
 * What servers and workers agree on: the BullMQ queue, a proof job's data and result, and how a job's
 * state reads as an inference's status. The inference id is the job id, so adding it twice never queues a
 * second proof.
 */
import type { Job, JobsOptions } from 'bullmq';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import type { Attestation } from './attest.js';
import type { ArtifactRef } from './models.js';
import type { Settlement } from './settle.js';

export const QUEUE_NAME = 'zkinfer-proofs';

/** Bounded retries for failures that may pass (a fetch, a crash); permanent ones fail at once. */
export const JOB_OPTIONS: JobsOptions = {
  attempts: 3,
  backoff: { type: 'exponential', delay: 500 },
  removeOnComplete: false,
  removeOnFail: false,
};

/** Inference ids: 32 lowercase hex digits (128 bits). */
export const ID_PATTERN = '^[0-9a-f]{32}$';
export const SHA256_PATTERN = '^[0-9a-f]{64}$';

export interface ProofJobData {
  id: string;
  modelId: string;
  vkHash: string;
  /** The request's input document ({"input": …}). */
  input: unknown;
  inputHash: string;
  outputsHash: string;
  /** The immediate answer: a worker refuses to prove anything else. */
  outputs: ReceiptTensor[];
  attestation: Attestation;
  /** Files to fetch by content hash (relative path → sha256). */
  artifacts: Record<string, ArtifactRef>;
  predictedProveSeconds?: number;
  acceptedAt: number;
}

export interface ProofJobResult {
  receipt: Receipt;
  opening?: Opening;
  worker: string;
  seconds: { fetch: number; load: number; witness: number; prove: number };
}

export type InferenceStatus = 'queued' | 'proving' | 'proved' | 'failed';

export interface InferenceView {
  id: string;
  modelId: string;
  status: InferenceStatus;
  outputs: ReceiptTensor[];
  attestation: Attestation;
  estimatedProofSeconds?: number;
  receipt?: Receipt;
  opening?: Opening;
  error?: string;
  /** With settlement on: the registry transaction that verified the receipt on chain (or why it failed). */
  settlement?: Settlement;
  attempts: number;
  timings: {
    acceptedAt: string;
    startedAt?: string;
    finishedAt?: string;
    /** Accepted → last proving start. */
    queueSeconds?: number;
    /** Witness + Groth16 seconds of the proof. */
    proveSeconds?: number;
    /** Accepted → receipt. */
    totalSeconds?: number;
  };
}

export function statusOf(state: string): InferenceStatus {
  if (state === 'active') return 'proving';
  if (state === 'completed') return 'proved';
  if (state === 'failed') return 'failed';
  return 'queued'; // waiting, prioritized, delayed (a retry's backoff), waiting-children, unknown
}

const iso = (ms?: number): string | undefined => (ms ? new Date(ms).toISOString() : undefined);

/** An inference as the API shows it, from its job. */
export function inferenceView(job: Job<ProofJobData, ProofJobResult>, state: string): InferenceView {
  const d = job.data;
  const status = statusOf(state);
  const r = status === 'proved' ? job.returnvalue : undefined;
  const started = job.processedOn;
  return {
    id: d.id,
    modelId: d.modelId,
    status,
    outputs: d.outputs,
    attestation: d.attestation,
    ...(r ? { receipt: r.receipt, ...(r.opening ? { opening: r.opening } : {}) } : {}),
    ...(status === 'failed' ? { error: job.failedReason } : {}),
    attempts: job.attemptsMade,
    timings: {
      acceptedAt: iso(d.acceptedAt)!,
      startedAt: iso(started),
      finishedAt: status === 'proved' || status === 'failed' ? iso(job.finishedOn) : undefined,
      queueSeconds: started ? (started - d.acceptedAt) / 1000 : undefined,
      proveSeconds: r ? r.seconds.witness + r.seconds.prove : undefined,
      totalSeconds: r && job.finishedOn ? (job.finishedOn - d.acceptedAt) / 1000 : undefined,
    },
  };
}
