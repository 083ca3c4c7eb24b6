import { Counter, Histogram, register } from 'prom-client';

let probes: Counter<'probe_type' | 'result'> | undefined;
let durations: Histogram<'probe_type'> | undefined;

/** Probe runs by type (Liveness, Readiness, Startup) and result (successful, failed, unknown). */
export function probeCounter(): Counter<'probe_type' | 'result'> {
  probes ??=
    (register.getSingleMetric('skiff_kubelet_prober_probe_total') as
      | Counter<'probe_type' | 'result'>
      | undefined) ??
    new Counter({
      name: 'skiff_kubelet_prober_probe_total',
      help: 'Cumulative number of container probe runs by type and result',
      labelNames: ['probe_type', 'result'],
    });
  return probes;
}

export function probeDuration(): Histogram<'probe_type'> {
  durations ??=
    (register.getSingleMetric('skiff_kubelet_prober_probe_duration_seconds') as
      | Histogram<'probe_type'>
      | undefined) ??
    new Histogram({
      name: 'skiff_kubelet_prober_probe_duration_seconds',
      help: 'Duration of container probe runs by type',
      labelNames: ['probe_type'],
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
  return durations;
}
