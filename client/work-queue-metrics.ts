import { Counter, Gauge, Histogram, register } from 'prom-client';

/** The work queue metrics, created once per process and shared by all named queues (label `name`). */
export interface WorkQueueMetrics {
  depth: Gauge<'name'>;
  adds: Counter<'name'>;
  retries: Counter<'name'>;
  queueDuration: Histogram<'name'>;
  workDuration: Histogram<'name'>;
}

let metrics: WorkQueueMetrics | undefined;

const BUCKETS = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 0.1, 1, 10, 100, 1000];

// Another copy of this module (tests re-import modules) may have registered the names already.
function existing<M>(name: string): M | undefined {
  return register.getSingleMetric(name) as M | undefined;
}

export function workQueueMetrics(): WorkQueueMetrics {
  if (metrics) return metrics;
  metrics = {
    depth:
      existing<Gauge<'name'>>('skiff_workqueue_depth') ??
      new Gauge({
        name: 'skiff_workqueue_depth',
        help: 'Current depth of the work queue',
        labelNames: ['name'],
      }),
    adds:
      existing<Counter<'name'>>('skiff_workqueue_adds_total') ??
      new Counter({
        name: 'skiff_workqueue_adds_total',
        help: 'Adds handled by the work queue',
        labelNames: ['name'],
      }),
    retries:
      existing<Counter<'name'>>('skiff_workqueue_retries_total') ??
      new Counter({
        name: 'skiff_workqueue_retries_total',
        help: 'Rate-limited retries',
        labelNames: ['name'],
      }),
    queueDuration:
      existing<Histogram<'name'>>('skiff_workqueue_queue_duration_seconds') ??
      new Histogram({
        name: 'skiff_workqueue_queue_duration_seconds',
        help: 'How long an item waits in the queue before it is taken',
        labelNames: ['name'],
        buckets: BUCKETS,
      }),
    workDuration:
      existing<Histogram<'name'>>('skiff_workqueue_work_duration_seconds') ??
      new Histogram({
        name: 'skiff_workqueue_work_duration_seconds',
        help: 'How long processing an item takes',
        labelNames: ['name'],
        buckets: BUCKETS,
      }),
  };
  return metrics;
}
