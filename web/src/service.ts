/**
 * Following an inference of a proving service (`?service=URL&inference=ID`): its status changes arrive as
 * Server-Sent Events (queued → proving → proved, or failed; a segmented model's inference also each segment's
 * queued → proving → proved, failed or skipped); once proved, the page verifies the receipt itself. The service
 * must allow this page's origin (`zkinfer serve --cors …`).
 */
import type { InferenceView, SegmentProgress } from '../../src/serve/jobs.js';

export const STEPS = ['queued', 'proving', 'proved', 'verified'] as const;

/**
 * Subscribe to an inference's events; `onStatus` gets every status change; resolves with the final view.
 * @example const v = await followInference('http://127.0.0.1:8080', id, (v) => show(v.status));
 */
export function followInference(service: string, id: string, onStatus: (v: InferenceView) => void): Promise<InferenceView> {
  if (!/^[0-9a-f]{32}$/.test(id)) return Promise.reject(new Error(`inference id '${id}': expected 32 hex digits`));
  const url = `${service.replace(/\/$/, '')}/v1/inferences/${id}/events`;
  return new Promise((resolve, reject) => {
    const source = new EventSource(url);
    let last: InferenceView | undefined;
    source.addEventListener('status', (e) => {
      last = JSON.parse((e as MessageEvent<string>).data) as InferenceView;
      onStatus(last);
      if (last.status === 'proved' || last.status === 'failed') {
        source.close();
        resolve(last);
      }
    });
    source.onerror = () => {
      if (last && (last.status === 'proved' || last.status === 'failed')) return;
      source.close();
      reject(new Error(`${url}: the event stream failed (is the service up, and does it allow this origin with --cors?)`));
    };
  });
}

/**
 * One segment of a segmented inference in words: "segment 2/3: proved by host:pid in 0.31 s (attempt 2)". Once
 * the inference has failed, a segment not yet taken will never be proved (a worker skips it), and one being proved
 * will not be used: it says so.
 */
export function segmentText(s: SegmentProgress, count: number, inferenceFailed: boolean): string {
  const head = `segment ${s.index + 1}/${count}: ${s.status}`;
  if (s.status === 'skipped' || (inferenceFailed && s.status === 'queued')) return `${head}: not proved, the inference had already failed`;
  if (inferenceFailed && s.status === 'proving') return `${head}: no longer needed, the inference has failed`;
  if (s.status === 'failed') return `${head}${s.attempts > 1 ? ` after ${s.attempts} attempts` : ''}: ${s.error ?? 'no reason given'}`;
  const done = s.status === 'proved' ? `${s.worker ? ` by ${s.worker}` : ''}${s.proveSeconds !== undefined ? ` in ${s.proveSeconds.toFixed(2)} s` : ''}` : '';
  return `${head}${done}${s.attempts > 1 ? ` (attempt ${s.attempts})` : ''}`;
}
