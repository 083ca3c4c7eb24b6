import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';
import { SkiffError } from '../../api/errors.js';

/** What one probe run found; `warning` counts as a success (e.g. a redirect to another host). */
export interface ProbeOutcome {
  result: 'success' | 'warning' | 'failure';
  /** Command output, response body or error text, for events and logs. */
  output: string;
}

/** The container a probe runs against. */
export interface ProbeTarget {
  pod: Pod;
  podIP: string;
  container: ContainerSpec;
  containerId: string;
}

/** The probe could not be run at all (bad port name, runtime trouble): upstream throws the result away. */
export class ProbeError extends SkiffError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('SKIFF_PROBE_ERROR', message, options);
    this.name = 'ProbeError';
  }
}

/** At most this much of a command's output or a response body is kept (as upstream). */
export const MAX_PROBE_OUTPUT = 10 * 1024;

export const PROBE_USER_AGENT = 'kube-probe/1.32';
