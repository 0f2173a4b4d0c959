/**
 * Following an inference of a proving service (`?service=URL&inference=ID`): its status changes arrive as
 * Server-Sent Events (queued → proving → proved, or failed); once proved, the page verifies the receipt
 * itself. The service must allow this page's origin (`zkinfer serve --cors …`).
 */
import type { InferenceView } from '../../src/serve/jobs.js';

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
