/** Prometheus metrics of one server (prom-client, a registry of its own: no global state). */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Queue } from 'bullmq';

export interface ServiceMetrics {
  registry: Registry;
  proofSeconds: Histogram<'model'>;
  failures: Counter<'model'>;
  accepted: Counter<'model'>;
  http: Histogram<'route' | 'method' | 'status'>;
}

export function createMetrics(queue: Queue): ServiceMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'zkinfer_server_' });
  new Gauge({
    name: 'zkinfer_jobs',
    help: 'Proof jobs by state',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const counts = await queue.getJobCounts('waiting', 'prioritized', 'delayed', 'active', 'completed', 'failed');
      for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
    },
  });
  new Gauge({
    name: 'zkinfer_workers_alive',
    help: 'Workers connected to the queue',
    registers: [registry],
    async collect() {
      this.set(await queue.getWorkersCount());
    },
  });
  return {
    registry,
    proofSeconds: new Histogram({ name: 'zkinfer_proof_seconds', help: 'Witness + Groth16 seconds per proof', labelNames: ['model'], buckets: [0.25, 0.5, 1, 2, 5, 10, 20, 60, 120, 300, 900], registers: [registry] }),
    failures: new Counter({ name: 'zkinfer_proof_failures_total', help: 'Inferences that ended failed', labelNames: ['model'], registers: [registry] }),
    accepted: new Counter({ name: 'zkinfer_inferences_accepted_total', help: 'Inferences accepted (202)', labelNames: ['model'], registers: [registry] }),
    http: new Histogram({ name: 'zkinfer_http_request_seconds', help: 'HTTP request duration', labelNames: ['route', 'method', 'status'], buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5], registers: [registry] }),
  };
}
