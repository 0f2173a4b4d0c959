/** CLI output channels: progress and human text on stderr, one JSON document on stdout with --json. */
let json = false;
const t0 = performance.now();

export const setJson = (on: boolean): void => {
  json = on;
};
export const isJson = (): boolean => json;

/** Progress line with elapsed time (always on stderr). */
export const log = (msg: string): void => {
  process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(1).padStart(5)}s] ${msg}\n`);
};

/** Human-readable result line (stderr; silent with --json). */
export const say = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};

/** The machine-readable result (stdout, only with --json). */
export const emit = (doc: unknown): void => {
  if (json) process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
};
