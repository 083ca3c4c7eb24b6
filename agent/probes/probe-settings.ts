import type { Probe } from 'kubernetes-types/core/v1.js';

export type ProbeKind = 'startup' | 'liveness' | 'readiness';

/** Capitalised as in upstream events and metrics ("Readiness probe failed: ..."). */
export const PROBE_TYPE: Record<ProbeKind, 'Startup' | 'Liveness' | 'Readiness'> = {
  startup: 'Startup',
  liveness: 'Liveness',
  readiness: 'Readiness',
};

/** A probe's timing and thresholds with the API defaults filled in, times in ms. */
export interface ProbeSettings {
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

const positive = (v: number | undefined, dflt: number) => (v !== undefined && v > 0 ? v : dflt);

export function probeSettings(probe: Probe, kind: ProbeKind): ProbeSettings {
  return {
    initialDelayMs: Math.max(0, probe.initialDelaySeconds ?? 0) * 1000,
    periodMs: positive(probe.periodSeconds, 10) * 1000,
    timeoutMs: positive(probe.timeoutSeconds, 1) * 1000,
    // Validation requires 1 for liveness and startup; hold to it even for objects that slipped by.
    successThreshold: kind === 'readiness' ? positive(probe.successThreshold, 1) : 1,
    failureThreshold: positive(probe.failureThreshold, 3),
  };
}
