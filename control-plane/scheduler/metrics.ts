import { Counter, Gauge, Histogram, register } from 'prom-client';

const queueSources = new Set<() => Record<string, number>>();

/** Reports a queue's lengths in skiff_scheduler_pending_pods until the returned function is called. */
export function reportQueueLengths(source: () => Record<string, number>): () => void {
  queueSources.add(source);
  return () => queueSources.delete(source);
}

function once<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

/** Scheduler metrics on prom-client's default registry (shared when several schedulers run in one process). */
export function schedulerMetrics() {
  return {
    attempts: once(
      'skiff_scheduler_schedule_attempts_total',
      () =>
        new Counter({
          name: 'skiff_scheduler_schedule_attempts_total',
          help: 'Scheduling attempts by result (scheduled, unschedulable, error)',
          labelNames: ['result'],
        }),
    ),
    e2e: once(
      'skiff_scheduler_e2e_scheduling_duration_seconds',
      () =>
        new Histogram({
          name: 'skiff_scheduler_e2e_scheduling_duration_seconds',
          help: 'Time from a pod entering the queue to its binding being written',
          buckets: [0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60],
        }),
    ),
    preemptionVictims: once(
      'skiff_scheduler_preemption_victims',
      () =>
        new Histogram({
          name: 'skiff_scheduler_preemption_victims',
          help: 'Pods chosen as victims per preemption',
          buckets: [1, 2, 4, 8, 16, 32, 64],
        }),
    ),
    pending: once(
      'skiff_scheduler_pending_pods',
      () =>
        new Gauge({
          name: 'skiff_scheduler_pending_pods',
          help: 'Pending pods by queue (active, backoff, unschedulable)',
          labelNames: ['queue'],
          collect() {
            // Read at scrape time from every running scheduler's queue.
            const totals: Record<string, number> = { active: 0, backoff: 0, unschedulable: 0 };
            for (const source of queueSources) {
              for (const [q, n] of Object.entries(source())) totals[q] = (totals[q] ?? 0) + n;
            }
            for (const [q, n] of Object.entries(totals)) this.set({ queue: q }, n);
          },
        }),
    ),
  };
}

export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;
