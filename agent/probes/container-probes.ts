import type { Container as ContainerSpec, Probe } from 'kubernetes-types/core/v1.js';
import type { Clock } from '../../client/clock.js';
import type { ProbeState } from './probe-host.js';
import type { ProbeOutcome } from './probe-outcome.js';
import { type ProbeKind, probeSettings } from './probe-settings.js';
import { ProbeWorker } from './probe-worker.js';

export interface ContainerProbesDeps {
  clock: Clock;
  /** Runs one probe of this container. */
  run: (kind: ProbeKind, probe: Probe, timeoutMs: number) => Promise<ProbeOutcome>;
  /** Every run's outcome (or why it could not run). */
  onRun: (kind: ProbeKind, outcome: ProbeOutcome | undefined, error?: unknown) => void;
  /** Started, ready or a kill-worthy failure changed. */
  onChange: (kind: ProbeKind, outcome: ProbeOutcome) => void;
}

/** A liveness or startup probe failed past its threshold: the container is to be killed. */
export interface ProbeFailure {
  kind: 'liveness' | 'startup';
  /** The probe's own terminationGracePeriodSeconds, when it sets one. */
  gracePeriodSeconds?: number;
  taken: boolean;
}

/**
 * The probes of one container attempt. The startup probe runs first; liveness and readiness
 * start once it succeeded (at once when there is none). Liveness or startup failing past its
 * threshold holds both until the attempt is gone and leaves a failure for the pod worker.
 */
export class ContainerProbes {
  private started: boolean;
  private readonly workers: Partial<Record<ProbeKind, ProbeWorker>> = {};
  failure: ProbeFailure | undefined;

  constructor(
    readonly spec: ContainerSpec,
    readonly containerId: string,
    private readonly startedAtMs: number,
    private readonly d: ContainerProbesDeps,
  ) {
    this.started = !spec.startupProbe;
  }

  start(): void {
    if (this.spec.startupProbe) this.startWorker('startup', this.spec.startupProbe, undefined);
    else this.startAfterStartup();
  }

  stop(): void {
    for (const w of Object.values(this.workers)) w?.stop();
  }

  /** Only the kinds of probe the container has are present. */
  state(): ProbeState {
    const s: ProbeState = {};
    if (this.spec.startupProbe) s.started = this.started;
    if (this.spec.readinessProbe) s.ready = this.started && this.workers.readiness?.result === true;
    return s;
  }

  private startAfterStartup(): void {
    if (this.spec.livenessProbe) this.startWorker('liveness', this.spec.livenessProbe, true);
    if (this.spec.readinessProbe) this.startWorker('readiness', this.spec.readinessProbe, false);
  }

  private startWorker(kind: ProbeKind, probe: Probe, initial: boolean | undefined): void {
    const worker = new ProbeWorker(
      kind,
      probeSettings(probe, kind),
      {
        clock: this.d.clock,
        run: (timeoutMs) => this.d.run(kind, probe, timeoutMs),
        onRun: (outcome, error) => this.d.onRun(kind, outcome, error),
        onResult: (ok, outcome) => this.onResult(kind, probe, ok, outcome),
      },
      initial,
    );
    this.workers[kind] = worker;
    worker.start(this.startedAtMs);
  }

  private onResult(kind: ProbeKind, probe: Probe, ok: boolean, outcome: ProbeOutcome): void {
    if (kind === 'readiness') {
      this.d.onChange(kind, outcome);
      return;
    }
    if (!ok) {
      this.workers.startup?.stop();
      this.workers.liveness?.stop();
      this.failure = {
        kind,
        ...(probe.terminationGracePeriodSeconds !== undefined
          ? { gracePeriodSeconds: probe.terminationGracePeriodSeconds }
          : {}),
        taken: false,
      };
      this.d.onChange(kind, outcome);
      return;
    }
    if (kind === 'startup') {
      this.workers.startup?.stop();
      this.started = true;
      this.startAfterStartup();
      this.d.onChange(kind, outcome);
    }
  }
}
