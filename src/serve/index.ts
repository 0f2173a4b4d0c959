/** The proving service (DESIGN.md §7): imports the library; the library never imports it. */
export { createServer, HttpError, SERVICE_VERSION } from './server.js';
export type { CreateServerParams, ProvingServer } from './server.js';
export { startWorker, lockMsFor } from './worker.js';
export type { StartWorkerParams, ProvingWorker } from './worker.js';
export { startRedis, redisOptions, findRedisServer } from './redis.js';
export type { EmbeddedRedis, StartRedisParams } from './redis.js';
export { ZkinferClient, ZkinferServiceError } from './client.js';
export type { ZkinferClientOptions, ModelSummary } from './client.js';
export { attest, attestationMessage, attestationSigner, ATTESTATION_FORMAT } from './attest.js';
export type { Attestation, AttestationClaim } from './attest.js';
export { QUEUE_NAME, segmentJobId } from './jobs.js';
export type { InferenceView, InferenceStatus, ProofJobData, ProofJobResult, SegmentJobData, SegmentProgress } from './jobs.js';
export { describeSegmented } from './segments.js';
export { describeModel, evaluateInput } from './models.js';
export type { ModelEntry } from './models.js';
