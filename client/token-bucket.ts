import type { Clock } from './clock.js';

/**
 * A token bucket that hands out reservations: `reserve()` takes one token now and returns how
 * long the caller must wait before using it (tokens may go negative, as Go's rate.Limiter).
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly qps: number,
    private readonly burst: number,
    private readonly clock: Clock,
  ) {
    if (qps <= 0 || burst <= 0) throw new Error('token bucket needs qps > 0 and burst > 0');
    this.tokens = burst;
    this.last = clock.now();
  }

  /** Takes a token; returns the delay in ms before it may be used (0 when one was available). */
  reserve(): number {
    this.refill();
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : (-this.tokens / this.qps) * 1000;
  }

  private refill(): void {
    const now = this.clock.now();
    const elapsed = Math.max(0, now - this.last) / 1000;
    this.last = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.qps);
  }
}
