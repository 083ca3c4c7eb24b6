import type { Clock, TimerHandle } from '../client/clock.js';

export interface SyncRunnerOptions {
  /** Runs are at least this far apart: bursts of requests collapse into one run. */
  minIntervalMs: number;
  /** A run happens at least this often even without requests. */
  maxIntervalMs: number;
  clock: Clock;
}

/**
 * Calls `fn` when asked, but never more often than every `minIntervalMs`, and at least every
 * `maxIntervalMs`; never two at once. A run that throws is retried after `minIntervalMs`.
 */
export class SyncRunner {
  private timer: TimerHandle | undefined;
  private timerAt = 0;
  private lastRun = Number.NEGATIVE_INFINITY;
  private startedAt = 0;
  private pending = false;
  private running = false;
  private stopped = true;
  private idle: (() => void)[] = [];

  constructor(
    private readonly fn: () => Promise<void>,
    private readonly opts: SyncRunnerOptions,
  ) {}

  /** Starts the periodic schedule; the first run waits for a `request()`. */
  start(): void {
    this.stopped = false;
    this.startedAt = this.opts.clock.now();
    this.schedule();
  }

  request(): void {
    this.pending = true;
    this.schedule();
  }

  /** Stops scheduling; resolves when a run in progress has finished. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) this.opts.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.running) await new Promise<void>((r) => this.idle.push(r));
  }

  private schedule(): void {
    if (this.running || this.stopped) return;
    const now = this.opts.clock.now();
    const due = this.pending
      ? Math.max(this.lastRun + this.opts.minIntervalMs, now)
      : Math.max(this.lastRun, this.startedAt) + this.opts.maxIntervalMs;
    if (this.timer) {
      if (this.timerAt <= due) return;
      this.opts.clock.clearTimeout(this.timer);
    }
    this.timerAt = due;
    this.timer = this.opts.clock.setTimeout(() => void this.fire(), due - now);
  }

  private async fire(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    this.pending = false;
    this.lastRun = this.opts.clock.now();
    try {
      await this.fn();
    } catch {
      this.pending = true;
    } finally {
      this.running = false;
      for (const wake of this.idle.splice(0)) wake();
      this.schedule();
    }
  }
}
