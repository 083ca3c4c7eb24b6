import { type Clock, realClock, type TimerHandle } from './clock.js';
import { defaultControllerRateLimiter, type RateLimiter } from './rate-limiter.js';
import { type WorkQueueMetrics, workQueueMetrics } from './work-queue-metrics.js';

export interface WorkQueueOptions<K> {
  /** Names the queue in metrics; unnamed queues export none. */
  name?: string;
  clock?: Clock;
  rateLimiter?: RateLimiter<K>;
}

/**
 * A rate-limiting, delaying work queue with client-go's semantics:
 * - a key added while it waits is queued once (dirty set);
 * - a key added while a worker holds it is queued again only after `done(key)`, so two
 *   workers never hold the same key;
 * - `get()` resolves `undefined` once the queue is shut down and empty.
 */
export class WorkQueue<K = string> {
  private readonly queue: K[] = [];
  private readonly dirty = new Set<K>();
  private readonly processing = new Set<K>();
  private readonly waiters: (() => void)[] = [];
  private readonly delayed = new Map<K, { at: number; timer: TimerHandle }>();
  private readonly addedAt = new Map<K, number>();
  private readonly startedAt = new Map<K, number>();
  private shuttingDown = false;
  private drainWaiters: (() => void)[] = [];
  private readonly clock: Clock;
  private readonly limiter: RateLimiter<K>;
  private readonly name: string | undefined;
  private readonly metrics: WorkQueueMetrics | undefined;

  constructor(opts: WorkQueueOptions<K> = {}) {
    this.clock = opts.clock ?? realClock;
    this.limiter = opts.rateLimiter ?? defaultControllerRateLimiter<K>(this.clock);
    this.name = opts.name;
    this.metrics = opts.name ? workQueueMetrics() : undefined;
  }

  /** Queues `key` unless it is already waiting; a key being processed is queued after `done`. */
  add(key: K): void {
    if (this.shuttingDown || this.dirty.has(key)) return;
    this.dirty.add(key);
    if (this.metrics) {
      this.metrics.adds.inc({ name: this.name });
      if (!this.addedAt.has(key)) this.addedAt.set(key, this.clock.now());
    }
    if (this.processing.has(key)) return;
    this.push(key);
  }

  /** Waits for a key; `undefined` means the queue shut down and no work is left. */
  async get(): Promise<K | undefined> {
    while (this.queue.length === 0 && !this.shuttingDown) {
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    const key = this.queue.shift();
    if (key === undefined) return undefined;
    this.processing.add(key);
    this.dirty.delete(key);
    if (this.metrics) {
      const now = this.clock.now();
      const added = this.addedAt.get(key);
      if (added !== undefined) this.metrics.queueDuration.observe({ name: this.name }, (now - added) / 1000);
      this.addedAt.delete(key);
      this.startedAt.set(key, now);
      this.metrics.depth.set({ name: this.name }, this.queue.length);
    }
    return key;
  }

  /** Marks `key` as finished; if it was added meanwhile, it is queued again now. */
  done(key: K): void {
    this.processing.delete(key);
    if (this.metrics) {
      const started = this.startedAt.get(key);
      if (started !== undefined) {
        this.metrics.workDuration.observe({ name: this.name }, (this.clock.now() - started) / 1000);
      }
      this.startedAt.delete(key);
    }
    if (this.dirty.has(key)) this.push(key);
    else if (this.processing.size === 0) this.resolveDrain();
  }

  /** Adds `key` after `ms`. A key already waiting for a later time is moved earlier, never later. */
  addAfter(key: K, ms: number): void {
    if (this.shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.clock.now() + ms;
    const pending = this.delayed.get(key);
    if (pending) {
      if (pending.at <= at) return;
      this.clock.clearTimeout(pending.timer);
    }
    const timer = this.clock.setTimeout(() => {
      this.delayed.delete(key);
      this.add(key);
    }, ms);
    this.delayed.set(key, { at, timer });
  }

  /** Adds `key` after the rate limiter's delay for it (counts a retry). */
  addRateLimited(key: K): void {
    if (this.shuttingDown) return;
    this.metrics?.retries.inc({ name: this.name });
    this.addAfter(key, this.limiter.when(key));
  }

  /** Resets the backoff for `key`; call after it was processed successfully. */
  forget(key: K): void {
    this.limiter.forget(key);
  }

  numRequeues(key: K): number {
    return this.limiter.numRequeues(key);
  }

  /** Keys waiting to be taken (not counting delayed or in-process ones). */
  len(): number {
    return this.queue.length;
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  /** Ignores new adds and releases every waiting `get()`; queued keys are still handed out. */
  shutDown(): void {
    if (!this.shuttingDown) {
      this.shuttingDown = true;
      for (const { timer } of this.delayed.values()) this.clock.clearTimeout(timer);
      this.delayed.clear();
    }
    for (const wake of this.waiters.splice(0)) wake();
  }

  /** Shuts down, then waits until every key handed out has been marked `done`. */
  async shutDownWithDrain(): Promise<void> {
    this.shutDown();
    if (this.processing.size === 0) return;
    await new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  private push(key: K): void {
    this.queue.push(key);
    this.metrics?.depth.set({ name: this.name }, this.queue.length);
    this.waiters.shift()?.();
  }

  private resolveDrain(): void {
    if (!this.shuttingDown) return;
    for (const resolve of this.drainWaiters.splice(0)) resolve();
  }
}
