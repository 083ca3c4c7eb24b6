import type { Logger } from 'pino';
import { type Clock, realClock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import type { CriClient } from '../../shim/index.js';
import type { ProbeHost } from './probe-host.js';
import { ProbeManager } from './probe-manager.js';
import { createProbeRunner, type ProbeRunner } from './probe-runner.js';

export type { ProbeHost, ProbeState, RunningContainer } from './probe-host.js';
export { noProbes } from './probe-host.js';
export { ProbeManager } from './probe-manager.js';
export type { ProbeOutcome, ProbeTarget } from './probe-outcome.js';
export { ProbeError } from './probe-outcome.js';
export { createProbeRunner, type ProbeRunner } from './probe-runner.js';

export interface ProbeHostOptions {
  cri: CriClient;
  log: Logger;
  /** Asks for a sync of the pod with this uid (a result changed). */
  onChange: (uid: string) => void;
  now: () => number;
  /** Timers of the probe workers; default real timers with `now` as the time. */
  clock?: Clock;
  /** Unhealthy, ProbeWarning and Killing events go here when given. */
  events?: EventRecorder;
  /** Runs one probe; default exec (CRI ExecSync), httpGet, tcpSocket and grpc handlers. */
  runProbe?: ProbeRunner;
  /** Stops all probing when it aborts (the kubelet's shutdown). */
  signal?: AbortSignal;
}

/** Real timers that do not keep the process alive on their own. */
function unrefClock(now: () => number): Clock {
  return {
    ...realClock,
    now,
    setTimeout: (fn, ms) => setTimeout(fn, Math.max(0, ms)).unref(),
  };
}

export function createProbeHost(o: ProbeHostOptions): ProbeHost {
  const manager = new ProbeManager({
    run: o.runProbe ?? createProbeRunner(o.cri),
    clock: o.clock ?? unrefClock(o.now),
    log: o.log.child({ subcomponent: 'prober' }),
    onChange: o.onChange,
    events: o.events,
  });
  o.signal?.addEventListener('abort', () => manager.close(), { once: true });
  return manager;
}
