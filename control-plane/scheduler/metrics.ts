import { Counter, Gauge, Histogram, register } from 'prom-client';

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
    pending: once(
      'skiff_scheduler_pending_pods',
      () =>
        new Gauge({
          name: 'skiff_scheduler_pending_pods',
          help: 'Pending pods by queue (active, backoff, unschedulable)',
          labelNames: ['queue'],
        }),
    ),
  };
}

export type SchedulerMetrics = ReturnType<typeof schedulerMetrics>;
