import { Counter, Gauge, Histogram, register } from 'prom-client';

/** The API server's metrics, created once per process on prom-client's default registry. */
export interface ApiMetrics {
  requests: Counter<'verb' | 'resource' | 'code'>;
  latency: Histogram<'verb' | 'resource'>;
  inflight: Gauge<'kind'>;
  watchers: Gauge<'resource'>;
}

let metrics: ApiMetrics | undefined;

export function apiMetrics(): ApiMetrics {
  if (metrics) return metrics;
  const existing = register.getSingleMetric('skiff_apiserver_requests_total');
  if (existing) register.removeSingleMetric('skiff_apiserver_requests_total');
  metrics = {
    requests: new Counter({
      name: 'skiff_apiserver_requests_total',
      help: 'API requests by verb, resource and HTTP code',
      labelNames: ['verb', 'resource', 'code'],
    }),
    latency: new Histogram({
      name: 'skiff_apiserver_request_duration_seconds',
      help: 'API request latency (watches excluded) by verb and resource',
      labelNames: ['verb', 'resource'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    }),
    inflight: new Gauge({
      name: 'skiff_apiserver_current_inflight_requests',
      help: 'Requests being served, by kind (readOnly, mutating)',
      labelNames: ['kind'],
    }),
    watchers: new Gauge({
      name: 'skiff_apiserver_registered_watchers',
      help: 'Open API watches by resource',
      labelNames: ['resource'],
    }),
  };
  return metrics;
}
