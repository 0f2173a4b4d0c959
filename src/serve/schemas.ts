/**
 * The HTTP API's JSON Schemas, one per route (Fastify validates requests with them), and the OpenAPI 3.1
 * document built from the same table (GET /v1/openapi.json).
 */
import { ID_PATTERN, SHA256_PATTERN } from './jobs.js';

const error = { type: 'object', properties: { error: { type: 'string', description: 'error[code]: message (hint: …), as the CLI prints it' }, code: { type: 'string' }, message: { type: 'string' }, hint: { type: 'string' } }, required: ['error', 'code', 'message'] };
const tensor = { type: 'object', properties: { name: { type: 'string' }, shape: { type: 'array', items: { type: 'integer' } }, scale: { type: 'string', description: 'decimal: real value = integer / 2^scale' }, integers: { type: 'array', items: { type: 'string' }, description: 'the exact integers (decimal strings)' }, data: { type: 'array', description: 'reals, for reading only' } }, additionalProperties: true };
const attestation = {
  type: 'object',
  description: "EIP-191 signature by the service over (id, modelId, vkHash, inputHash, outputsHash); check it with the service's signer address",
  properties: { format: { type: 'string' }, id: { type: 'string' }, modelId: { type: 'string' }, vkHash: { type: 'string' }, inputHash: { type: 'string' }, outputsHash: { type: 'string' }, scheme: { type: 'string' }, signer: { type: 'string' }, signature: { type: 'string' } },
};
const inference = {
  type: 'object',
  properties: {
    id: { type: 'string', pattern: ID_PATTERN },
    modelId: { type: 'string' },
    status: { type: 'string', enum: ['queued', 'proving', 'proved', 'failed'] },
    outputs: { type: 'array', items: tensor, description: 'from the integer program: exactly what the proof shows' },
    attestation,
    estimatedProofSeconds: { type: 'number' },
    receipt: { type: 'object', description: 'zkinfer receipt (when proved; a segmented model: zkinfer.segmented-receipt/1); check it with `zkinfer verify`', additionalProperties: true },
    opening: { type: 'object', description: 'salts and values of hashed inputs/outputs (when proved)', additionalProperties: true },
    error: { type: 'string' },
    attempts: { type: 'integer' },
    timings: { type: 'object', additionalProperties: true },
    segments: {
      type: 'array',
      description: "a segmented model: each segment's proof job (status proving as soon as one segment is; the receipt is assembled when the last is proved)",
      items: {
        type: 'object',
        properties: { index: { type: 'integer' }, status: { type: 'string', enum: ['queued', 'proving', 'proved', 'failed', 'skipped'], description: 'skipped: not proved, its inference had already failed' }, attempts: { type: 'integer' }, startedAt: { type: 'string' }, worker: { type: 'string' }, proveSeconds: { type: 'number' }, error: { type: 'string' } },
        required: ['index', 'status', 'attempts'],
      },
    },
  },
  required: ['id', 'status', 'outputs', 'attestation'],
};
const model = {
  type: 'object',
  properties: {
    id: { type: 'string' }, name: { type: 'string' }, file: { type: 'string' }, vkHash: { type: 'string' }, circuitHash: { type: 'string' },
    visibility: { type: 'object', additionalProperties: true }, constraints: { type: 'integer' }, devSetup: { type: 'boolean' },
    predictedProveSeconds: { type: 'number', description: 'a segmented model: its slowest segment (the segments are proven in parallel)' },
    segments: { type: 'integer', description: 'a segmented model (compile --segments): its number of segments; vkHash is then the segment keys hash' },
  },
};
const hex = (pattern: string, description: string) => ({ type: 'object', properties: { id: { type: 'string', pattern, description } }, required: ['id'] });
const auth = (who: string) => ({ security: [{ bearer: [] }], description: `needs \`Authorization: Bearer <${who}>\` when the service has one` });

export const schemas = {
  registerModel: {
    body: { type: 'object', properties: { dir: { type: 'string', minLength: 1, description: "an artifact directory on the server's machine (after compile and setup; a segmented one too)" } }, required: ['dir'], additionalProperties: false },
  },
  infer: {
    params: hex('^[0-9a-f]{64}$', 'model id'),
    body: { type: 'object', properties: { input: { type: 'array', description: 'nested arrays of numbers, as in an input file {"input": [[…]]}; one array per input for several inputs' } }, required: ['input'], additionalProperties: false },
    querystring: { type: 'object', properties: { wait: { type: 'number', minimum: 0, maximum: 600, description: 'block up to this many seconds for the receipt' } }, additionalProperties: false },
    headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 200 } } },
  },
  inference: { params: hex(ID_PATTERN, 'inference id') },
  inferenceWait: { params: hex(ID_PATTERN, 'inference id'), querystring: schemasWait() },
  artifact: { params: { type: 'object', properties: { sha256: { type: 'string', pattern: SHA256_PATTERN } }, required: ['sha256'] } },
} as const;

function schemasWait() {
  return { type: 'object', properties: { wait: { type: 'number', minimum: 0, maximum: 600 } }, additionalProperties: false };
}

interface Op {
  method: 'get' | 'post';
  path: string;
  summary: string;
  request?: { params?: object; body?: object; querystring?: object; headers?: object };
  responses: Record<string, { description: string; schema?: object; type?: string }>;
  security?: string;
}

const ops: Op[] = [
  { method: 'post', path: '/v1/models', summary: 'Register a compiled artifact directory (admin)', request: schemas.registerModel, security: 'admin key', responses: { 201: { description: 'registered', schema: model }, 400: { description: 'bad directory', schema: error }, 401: { description: 'no or wrong key', schema: error } } },
  { method: 'get', path: '/v1/models', summary: 'Registered models', responses: { 200: { description: 'models', schema: { type: 'object', properties: { models: { type: 'array', items: model } } } } } },
  {
    method: 'post', path: '/v1/models/{id}/inferences', summary: 'Run an inference: the outputs and a signed attestation now, the proof later', request: schemas.infer, security: 'API key',
    responses: {
      202: { description: 'accepted: queued for proving', schema: inference }, 200: { description: 'proved within ?wait', schema: inference },
      400: { description: 'malformed JSON or input', schema: error }, 404: { description: 'unknown model', schema: error }, 409: { description: 'Idempotency-Key reused with another input', schema: error },
      413: { description: 'body too large', schema: error }, 429: { description: 'queue full (see Retry-After)', schema: error },
    },
  },
  { method: 'get', path: '/v1/inferences/{id}', summary: 'An inference: status, receipt when proved, error when failed, timings', request: schemas.inferenceWait, responses: { 200: { description: 'the inference', schema: inference }, 404: { description: 'unknown id', schema: error } } },
  { method: 'get', path: '/v1/inferences/{id}/events', summary: 'Status changes as Server-Sent Events (event: status, data: the inference) until proved or failed', request: schemas.inference, responses: { 200: { description: 'text/event-stream', type: 'text/event-stream' } } },
  { method: 'get', path: '/v1/artifacts/{sha256}', summary: 'A model artifact by content hash (workers)', request: schemas.artifact, security: 'worker key', responses: { 200: { description: 'the file', type: 'application/octet-stream' }, 404: { description: 'no such artifact', schema: error } } },
  { method: 'get', path: '/healthz', summary: 'Liveness and Redis reachability', responses: { 200: { description: 'ok' }, 503: { description: 'Redis unreachable' } } },
  { method: 'get', path: '/metrics', summary: 'Prometheus metrics', responses: { 200: { description: 'text/plain; version=0.0.4', type: 'text/plain' } } },
];

/** The OpenAPI 3.1 document of the API. */
export function openApiDocument(version: string): object {
  const paths: Record<string, Record<string, object>> = {};
  for (const op of ops) {
    const r = op.request ?? {};
    const parameters = [
      ...Object.entries((r.params as { properties?: Record<string, object> } | undefined)?.properties ?? {}).map(([name, schema]) => ({ name, in: 'path', required: true, schema })),
      ...Object.entries((r.querystring as { properties?: Record<string, object> } | undefined)?.properties ?? {}).map(([name, schema]) => ({ name, in: 'query', schema })),
      ...Object.entries((r.headers as { properties?: Record<string, object> } | undefined)?.properties ?? {}).map(([name, schema]) => ({ name, in: 'header', schema })),
    ];
    const responses = Object.fromEntries(
      Object.entries(op.responses).map(([code, v]) => [code, { description: v.description, ...(v.schema ? { content: { 'application/json': { schema: v.schema } } } : v.type ? { content: { [v.type]: {} } } : {}) }]),
    );
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: r.body } } } } : {}),
      ...(op.security ? { ...auth(op.security), security: [{ bearer: [] }] } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: { title: 'zkinfer proving service', version, description: 'Answer now, prove later: outputs and a signed attestation at once, a Groth16 receipt of exactly those outputs when a worker has proved it.' },
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
    paths,
  };
}
