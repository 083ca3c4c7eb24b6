import type { Clock, TimerHandle } from '../../client/clock.js';
import type { ProbeOutcome } from './probe-outcome.js';
import type { ProbeKind, ProbeSettings } from './probe-settings.js';

export interface ProbeWorkerDeps {
  clock: Clock;
  /** Runs the probe once; rejects when it could not be run (the run is then not counted). */
  run: (timeoutMs: number) => Promise<ProbeOutcome>;
  /** Every run, for events, metrics and logs: its outcome, or why it could not run. */
  onRun: (outcome: ProbeOutcome | undefined, error?: unknown) => void;
  /** The result changed after the thresholds were met (success and warning count as ok). */
  onResult: (ok: boolean, outcome: ProbeOutcome) => void;
}

/**
 * One probe of one container attempt on its own timer: the first run `initialDelaySeconds`
 * after the container started, then every `periodSeconds` (never two runs at once). The result
 * flips only after `successThreshold` successes or `failureThreshold` failures in a row.
 */
export class ProbeWorker {
  /** The result after thresholds; before the first flip, the initial value given. */
  result: boolean | undefined;
  private timer: TimerHandle | undefined;
  private stopped = false;
  private running = false;
  private last: boolean | undefined;
  private streak = 0;

  constructor(
    readonly kind: ProbeKind,
    readonly settings: ProbeSettings,
    private readonly d: ProbeWorkerDeps,
    initial: boolean | undefined,
  ) {
    this.result = initial;
  }

  /** Schedules the first run for `initialDelaySeconds` after `startedAtMs` (or now, if that has passed). */
  start(startedAtMs: number): void {
    this.schedule(startedAtMs + this.settings.initialDelayMs);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(atMs: number): void {
    if (this.stopped) return;
    if (this.timer) this.d.clock.clearTimeout(this.timer);
    this.timer = this.d.clock.setTimeout(
      () => {
        this.timer = undefined;
        void this.tick();
      },
      Math.max(0, atMs - this.d.clock.now()),
    );
  }

  private async tick(): Promise<void> {
    if (this.stopped || this.running) return;
    this.running = true;
    const startMs = this.d.clock.now();
    try {
      let outcome: ProbeOutcome;
      try {
        outcome = await this.d.run(this.settings.timeoutMs);
      } catch (e) {
        if (!this.stopped) this.d.onRun(undefined, e);
        return;
      }
      if (this.stopped) return;
      this.d.onRun(outcome);
      this.record(outcome);
    } finally {
      this.running = false;
      this.schedule(startMs + this.settings.periodMs);
    }
  }

  private record(outcome: ProbeOutcome): void {
    const ok = outcome.result !== 'failure';
    if (ok === this.last) this.streak++;
    else {
      this.last = ok;
      this.streak = 1;
    }
    const needed = ok ? this.settings.successThreshold : this.settings.failureThreshold;
    if (this.streak < needed || this.result === ok) return;
    this.result = ok;
    this.d.onResult(ok, outcome);
  }
}
