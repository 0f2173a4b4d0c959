/**
 * What servers and workers agree on: the BullMQ queue, a proof job's data and result, and how a job's
 * state reads as an inference's status. The inference id is the job id, so adding it twice never queues a
 * second proof. A segmented model's inference is a BullMQ flow (./segments.ts): the inference's job is the
 * parent, which assembles the segmented receipt once its K segment jobs (children, ids `<id>-s<i>`) are proved.
 */
import type { Job, JobsOptions } from 'bullmq';
import type { Opening, Receipt, ReceiptTensor } from '../receipt.js';
import type { SegmentedReceipt } from '../compose/receipt.js';
import type { Visibility } from '../quantize/layout.js';
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

/** What the parent job of a segmented inference needs to assemble the segmented receipt. */
export interface SegmentedInfo {
  count: number;
  model: SegmentedReceipt['model'];
  visibility: Visibility;
  dev: boolean;
}

export interface ProofJobData {
  id: string;
  modelId: string;
  /** The key's hash (a segmented model: the segment keys hash). */
  vkHash: string;
  /** The request's input document ({"input": …}); not in a segmented inference's job (its segments carry theirs). */
  input?: unknown;
  /** A segmented inference: this job assembles its segments' receipts. */
  segmented?: SegmentedInfo;
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

/**
 * One segment's proof job (a child of its inference's job): only what its worker needs — that segment's
 * artifacts, its integer inputs (the model input or a boundary, from the server's integer program) and the
 * salts of its commitments (a boundary's salt is shared with the neighbouring segment).
 */
export interface SegmentJobData {
  kind: 'segment';
  /** The inference (the parent job). */
  id: string;
  modelId: string;
  index: number;
  count: number;
  /** This segment's key hash. */
  vkHash: string;
  /** The segment's input integers (decimal strings), one array per input tensor. */
  inputs: string[][];
  salts: { input?: string; output?: string };
  /** intsHash of the outputs the server's integer program computed for this segment: the worker must match it. */
  outputsHash: string;
  artifacts: Record<string, ArtifactRef>;
  predictedProveSeconds?: number;
  acceptedAt: number;
}

export const segmentJobId = (id: string, index: number): string => `${id}-s${index}`;
/** How a segment job that a worker did not prove, because its inference had already failed, ends its failure reason. */
export const SKIPPED = 'skipped: ';
/** A segment job's id: the inference id and the segment index. */
export const SEGMENT_JOB_ID = /^([0-9a-f]{32})-s(\d+)$/;
export const isSegmentJob = (d: ProofJobData | SegmentJobData): d is SegmentJobData => (d as SegmentJobData).kind === 'segment';

export interface ProofJobResult {
  /** A single receipt; a segment job's segment receipt; a segmented inference's segmented receipt. */
  receipt: Receipt | SegmentedReceipt;
  opening?: Opening;
  worker: string;
  /** A segmented inference: the sums over its segments. */
  seconds: { fetch: number; load: number; witness: number; prove: number };
  /** A segment job's result: its index, and the attempt that proved it (more than 1 after a worker died or a retry). */
  segment?: number;
  attempt?: number;
  /** A segment job's result: when its proving attempt started (ms since the epoch). */
  startedAt?: number;
  /** A segmented inference: who proved each segment. */
  segments?: SegmentProgress[];
}

export type InferenceStatus = 'queued' | 'proving' | 'proved' | 'failed';

/** A segment's status: `skipped` when its inference had already failed (another segment failed for good) before a worker took it. */
export type SegmentStatus = InferenceStatus | 'skipped';

/** One segment of a segmented inference, as GET /v1/inferences/<id> shows it. */
export interface SegmentProgress {
  index: number;
  status: SegmentStatus;
  attempts: number;
  worker?: string;
  /** When a worker last started it (ISO time). */
  startedAt?: string;
  /** Witness + Groth16 seconds. */
  proveSeconds?: number;
  error?: string;
}

export interface InferenceView {
  id: string;
  modelId: string;
  status: InferenceStatus;
  outputs: ReceiptTensor[];
  attestation: Attestation;
  estimatedProofSeconds?: number;
  receipt?: Receipt | SegmentedReceipt;
  opening?: Opening;
  error?: string;
  /** A segmented model: each segment's proof job. */
  segments?: SegmentProgress[];
  /** With settlement on: the registry transaction that verified the receipt on chain (or why it failed). */
  settlement?: Settlement;
  attempts: number;
  timings: {
    acceptedAt: string;
    startedAt?: string;
    finishedAt?: string;
    /** Accepted → last proving start. */
    queueSeconds?: number;
    /** Witness + Groth16 seconds of the proof (a segmented model: of all its segments). */
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
  // a segmented inference started when its first segment did (its own job only assembles)
  const first = r?.segments?.map((x) => (x.startedAt ? Date.parse(x.startedAt) : Infinity));
  const started = first?.length ? Math.min(...first) : job.processedOn;
  return {
    id: d.id,
    modelId: d.modelId,
    status,
    outputs: d.outputs,
    attestation: d.attestation,
    ...(r ? { receipt: r.receipt, ...(r.opening ? { opening: r.opening } : {}) } : {}),
    ...(status === 'failed' ? { error: job.failedReason } : {}),
    ...(r?.segments ? { segments: r.segments } : {}),
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
