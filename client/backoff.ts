/** Exponential backoff with jitter for reconnect loops (client-go's 800 ms → 30 s). */
export class Backoff {
  private current: number;

  constructor(
    private readonly initialMs = 800,
    private readonly maxMs = 30_000,
    private readonly jitter = 0.2,
    private readonly random: () => number = Math.random,
  ) {
    this.current = initialMs;
  }

  /** The next delay; each call doubles the following one up to the cap. */
  next(): number {
    const base = this.current;
    this.current = Math.min(this.maxMs, this.current * 2);
    return Math.round(base * (1 + this.jitter * this.random()));
  }

  reset(): void {
    this.current = this.initialMs;
  }
}
