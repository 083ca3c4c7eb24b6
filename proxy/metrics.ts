import { Counter, Histogram, register } from 'prom-client';

function counter(name: string, help: string, labelNames: string[] = []): Counter<string> {
  return (
    (register.getSingleMetric(name) as Counter<string> | undefined) ?? new Counter({ name, help, labelNames })
  );
}

function histogram(
  name: string,
  help: string,
  buckets: number[],
  labelNames: string[] = [],
): Histogram<string> {
  return (
    (register.getSingleMetric(name) as Histogram<string> | undefined) ??
    new Histogram({ name, help, buckets, labelNames })
  );
}

/** The proxy's metrics on prom-client's default registry (created once per process). */
export function proxyMetrics() {
  return {
    syncFailures: counter('skiff_proxy_sync_failures_total', 'Rule applies that failed.', ['mode']),
    syncDuration: histogram(
      'skiff_proxy_sync_duration_seconds',
      'Time to build and apply the whole ruleset.',
      [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      ['mode'],
    ),
    programmingLatency: histogram(
      'skiff_proxy_network_programming_duration_seconds',
      'From the change that triggered an EndpointSlice update to the rules being applied on this node.',
      [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300],
    ),
    skipped: counter(
      'skiff_proxy_skipped_objects_total',
      'Services or EndpointSlices skipped for invalid or conflicting fields, by kind.',
      ['kind'],
    ),
  };
}
