import type { Pod } from 'kubernetes-types/core/v1.js';
import { Histogram, register } from 'prom-client';

const PHASES = ['scheduled', 'sandbox', 'pull', 'create', 'start', 'total'] as const;
type Phase = (typeof PHASES)[number];

function histogram(): Histogram<'phase'> {
  const name = 'skiff_kubelet_pod_startup_phase_seconds';
  const existing = register.getSingleMetric(name);
  if (existing) return existing as Histogram<'phase'>;
  return new Histogram({
    name,
    help: 'Time each phase of a pod start took, from API creation to first Running (phase=total)',
    labelNames: ['phase'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
  });
}

/**
 * Where a pod's start went: time to be scheduled, the sandbox, image pulls, container creates
 * and starts, summed over its containers. Reported once, when the pod is first Running.
 */
export class PodStartup {
  private readonly ms: Record<Exclude<Phase, 'total' | 'scheduled'>, number> = {
    sandbox: 0,
    pull: 0,
    create: 0,
    start: 0,
  };
  private reported = false;

  add(phase: 'sandbox' | 'pull' | 'create' | 'start', ms: number): void {
    this.ms[phase] += ms;
  }

  /** The Event message once the pod is first Running (undefined after that, or if it ran before this kubelet saw it). */
  report(pod: Pod, nowMs: number): string | undefined {
    if (this.reported) return undefined;
    this.reported = true;
    const created = Date.parse(pod.metadata?.creationTimestamp ?? '');
    if (Number.isNaN(created) || this.ms.sandbox === 0) return undefined;
    const scheduledAt = Date.parse(
      pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.lastTransitionTime ?? '',
    );
    // creationTimestamp has second precision: never report less than the measured parts.
    const parts = this.ms.sandbox + this.ms.pull + this.ms.create + this.ms.start;
    const total = Math.max(nowMs - created, parts);
    const scheduled = Number.isNaN(scheduledAt) ? undefined : Math.max(0, scheduledAt - created);
    const h = histogram();
    h.observe({ phase: 'total' }, total / 1000);
    if (scheduled !== undefined) h.observe({ phase: 'scheduled' }, scheduled / 1000);
    for (const [phase, ms] of Object.entries(this.ms)) h.observe({ phase }, ms / 1000);
    const r = (n: number) => `${Math.round(n)}ms`;
    return `Started in ${r(total)} (${scheduled !== undefined ? `scheduled ${r(scheduled)}, ` : ''}sandbox ${r(this.ms.sandbox)}, pull ${r(this.ms.pull)}, create ${r(this.ms.create)}, start ${r(this.ms.start)})`;
  }
}
