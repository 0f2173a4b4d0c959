/**
 * An open-loop load generator: requests sent at a constant rate, evenly spaced (request i at start + i/rate),
 * whatever the server's answers do, each on a free keep-alive connection (a new one when all are busy), its
 * latency counted from the time it was due (a late send counts against the server too: no coordinated
 * omission). This is what "N requests per second" means for an API with many independent callers.
 *
 * autocannon's `overallRate` is not that: each of its connections sends its share of the second back to back
 * as soon as the second starts (its per-connection rate resets every second on one timer), so 200 req/s over
 * 50 connections arrives as 50 concurrent requests at the start of every second, and its latency histogram
 * then adds synthetic samples at a 1 ms expected interval for every slower answer. Both inflate the tail.
 */
import http from 'node:http';

export interface OpenLoopParams {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Give up on a request after this many ms (counted as an error; default 10 s). */
  timeoutMs?: number;
}

export interface OpenLoopResult {
  sent: number;
  /** Answers per second of the run. */
  achieved: number;
  /** Latency percentiles in ms, from when each request was due to its last byte (answers with any status). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  /** Most sends late by more than 1 ms at once (the generator's own lag, included in the latencies). */
  maxSendLagMs: number;
  latencies: number[];
  /** Per answer that had a Server-Timing header: its latency and the server's durations by name (ms). */
  timings: { ms: number; server: Record<string, number> }[];
}

/** `a;dur=1.2, b;dur=3` → { a: 1.2, b: 3 } */
export const parseServerTiming = (h: string): Record<string, number> =>
  Object.fromEntries(h.split(',').flatMap((part) => {
    const m = part.trim().match(/^([\w-]+).*;\s*dur=([\d.]+)/);
    return m ? [[m[1]!, Number(m[2])]] : [];
  }));

export const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]! : NaN;
};

/**
 * Send `rate × seconds` requests at a constant rate; resolves when every one has an answer (or timed out).
 * @example const r = await openLoop({ url, method: 'POST', body, headers: { 'content-type': 'application/json' }, rate: 200, seconds: 10 });
 */
export async function openLoop(p: OpenLoopParams): Promise<OpenLoopResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const u = new URL(p.url);
  const body = p.body === undefined ? undefined : Buffer.from(p.body);
  const headers = { ...p.headers, ...(body ? { 'content-length': String(body.length) } : {}) };
  const total = Math.round(p.rate * p.seconds);
  const interval = 1000 / p.rate;
  const latencies: number[] = [];
  const timings: OpenLoopResult['timings'] = [];
  let non2xx = 0;
  let errors = 0;
  let maxSendLagMs = 0;
  const now = () => performance.now();
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const req = http.request({ host: u.hostname, port: u.port, path: u.pathname + u.search, method: p.method ?? 'GET', headers, agent, timeout: p.timeoutMs ?? 10_000 }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          const ms = now() - due;
          latencies.push(ms);
          const st = res.headers['server-timing'];
          if (typeof st === 'string') timings.push({ ms, server: parseServerTiming(st) });
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          resolve();
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(body);
    });
  const pending: Promise<void>[] = [];
  const start = now() + 20;
  for (let i = 0; i < total; ) {
    const t = now();
    const due = start + i * interval;
    if (due > t) {
      await new Promise((r) => setTimeout(r, Math.max(0, due - t - 0.5)));
      continue;
    }
    // every request due by now goes out (a late timer sends a few at once; their lateness is in their latency)
    for (; i < total && start + i * interval <= t; i++) {
      maxSendLagMs = Math.max(maxSendLagMs, t - (start + i * interval));
      pending.push(one(start + i * interval));
    }
  }
  await Promise.all(pending);
  const seconds = (now() - start) / 1000;
  agent.destroy();
  return {
    sent: total, achieved: latencies.length / seconds,
    p50: percentile(latencies, 50), p90: percentile(latencies, 90), p99: percentile(latencies, 99), max: Math.max(...latencies),
    non2xx, errors, maxSendLagMs, latencies, timings,
  };
}
