import type { StoreEvent, StoreWatch } from './store.js';

/**
 * One watcher's bounded event queue, consumed as an async iterator. When a slow consumer lets
 * it fill up the watch ends (the iterator finishes) so the client re-watches, instead of
 * holding back every other watcher or growing without bound.
 */
export class WatchQueue implements StoreWatch {
  private items: StoreEvent[] = [];
  private head = 0;
  private closed = false;
  private failure: Error | undefined;
  private wake: (() => void) | undefined;
  private stopHooks: Array<() => void> = [];
  overflowed = false;

  constructor(private readonly capacity: number) {}

  get isClosed(): boolean {
    return this.closed;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  /** Runs once when the watch ends for any reason (stop, overflow, failure, store close). */
  onEnd(hook: () => void): void {
    if (this.closed) hook();
    else this.stopHooks.push(hook);
  }

  /** Queues an event; `force` bypasses the bound (initial state). False when the watch is over. */
  push(event: StoreEvent, force = false): boolean {
    if (this.closed) return false;
    if (!force && this.length >= this.capacity) {
      this.overflowed = true;
      this.end();
      return false;
    }
    this.items.push(event);
    this.signal();
    return true;
  }

  fail(error: Error): void {
    if (this.closed) return;
    this.failure = error;
    this.end();
  }

  end(): void {
    if (this.closed) return;
    this.closed = true;
    this.signal();
    const hooks = this.stopHooks;
    this.stopHooks = [];
    for (const h of hooks) h();
  }

  stop(): void {
    this.items = [];
    this.head = 0;
    this.end();
  }

  readonly events: AsyncIterable<StoreEvent> = {
    [Symbol.asyncIterator]: () => ({
      next: async (): Promise<IteratorResult<StoreEvent>> => {
        for (;;) {
          if (this.length > 0) {
            const value = this.items[this.head++] as StoreEvent;
            if (this.head > 1024 && this.head * 2 > this.items.length) {
              this.items = this.items.slice(this.head);
              this.head = 0;
            }
            return { value, done: false };
          }
          if (this.failure) {
            const f = this.failure;
            this.failure = undefined;
            throw f;
          }
          if (this.closed) return { value: undefined, done: true };
          await new Promise<void>((resolve) => {
            this.wake = resolve;
          });
        }
      },
      return: async (): Promise<IteratorResult<StoreEvent>> => {
        this.stop();
        return { value: undefined, done: true };
      },
    }),
  };

  private signal(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }
}
