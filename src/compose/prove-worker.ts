/** Child process of `prove --jobs N` on segmented artifacts: proves the one segment job it is sent, answers, exits. */
import { proveSegmentHere } from './prove-segment.js';
import type { SegmentJob } from './prove-segment.js';

process.once('message', (job: SegmentJob) => {
  void (async () => {
    try {
      const result = await proveSegmentHere(job);
      process.send!({ ok: true, result });
    } catch (e) {
      process.send!({ ok: false, error: (e as Error).message });
    } finally {
      await (globalThis as { curve_bn128?: { terminate(): Promise<void> } }).curve_bn128?.terminate();
      process.disconnect();
    }
  })();
});
