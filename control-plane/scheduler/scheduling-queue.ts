import type { Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../api/object.js';
import { type Clock, realClock, type TimerHandle } from '../../client/clock.js';
import { KeyedHeap } from './heap.js';

/** A pod waiting in the queue and what the queue knows of its past attempts. */
export interface QueuedPod {
  key: string;
  pod: Pod;
  /** Scheduling attempts made so far. */
  attempts: number;
  /** When it last entered a queue (ms). */
  timestamp: number;
  /** When it was first seen (ms): start of the e2e latency. */
  firstSeen: number;
  /** Creation time, for the order among equal priorities. */
  created: number;
}

export interface QueueOptions {
  clock?: Clock;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Unschedulable pods are retried at least this often even without an event. Default 60 s. */
  maxUnschedulableMs?: number;
  /** How often backoff and unschedulable pods are checked. Default 1 s. */
  flushIntervalMs?: number;
  /** The order among pods: higher first. Default spec.priority. */
  priorityOf?: (pod: Pod) => number;
}

export type QueueName = 'active' | 'backoff' | 'unschedulable';

function createdOf(pod: Pod, fallback: number): number {
  const ts = pod.metadata?.creationTimestamp;
  const t = ts ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(t) ? fallback : t;
}

function specPriority(pod: Pod): number {
  return pod.spec?.priority ?? 0;
}

/**
 * Upstream's scheduling queue: an active heap (priority, then creation time), a backoff heap
 * (ordered by backoff expiry; 1 s doubling to 10 s per attempt) and an unschedulable set that
 * cluster events move back (`moveAll`), or a periodic flush after `maxUnschedulableMs`.
 */
export class SchedulingQueue {
  private readonly clock: Clock;
  private readonly initialBackoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly maxUnschedulableMs: number;
  private readonly flushIntervalMs: number;
  private readonly priorityOf: (pod: Pod) => number;
  private readonly active = new KeyedHeap<QueuedPod>((a, b) => {
    const pa = this.priorityOf(a.pod);
    const pb = this.priorityOf(b.pod);
    if (pa !== pb) return pa > pb;
    if (a.created !== b.created) return a.created < b.created;
    return a.timestamp < b.timestamp;
  });
  private readonly backoff = new KeyedHeap<QueuedPod>(
    (a, b) => this.backoffExpiry(a) < this.backoffExpiry(b),
  );
  private readonly unschedulable = new Map<string, QueuedPod>();
  /** Keys popped and not yet given back or done. */
  private readonly inFlight = new Map<string, QueuedPod>();
  private waiters: (() => void)[] = [];
  private timer: TimerHandle | undefined;
  private closed = false;
  /** Counts pops; a move request during an attempt sends the failed pod to backoff, not unschedulable. */
  schedulingCycle = 0;
  private moveRequestCycle = -1;

  constructor(opts: QueueOptions = {}) {
    this.clock = opts.clock ?? realClock;
    this.initialBackoffMs = opts.initialBackoffMs ?? 1000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 10_000;
    this.maxUnschedulableMs = opts.maxUnschedulableMs ?? 60_000;
    this.flushIntervalMs = opts.flushIntervalMs ?? 1000;
    this.priorityOf = opts.priorityOf ?? specPriority;
  }

  /** Starts the periodic flush. */
  run(): void {
    const tick = (): void => {
      if (this.closed) return;
      this.flush();
      this.timer = this.clock.setTimeout(tick, this.flushIntervalMs);
    };
    this.timer = this.clock.setTimeout(tick, this.flushIntervalMs);
  }

  close(): void {
    this.closed = true;
    if (this.timer) this.clock.clearTimeout(this.timer);
    for (const w of this.waiters.splice(0)) w();
  }

  lengths(): Record<QueueName, number> {
    return { active: this.active.size, backoff: this.backoff.size, unschedulable: this.unschedulable.size };
  }

  /** Which queue holds the pod, if any. */
  where(key: string): QueueName | 'inFlight' | undefined {
    if (this.active.has(key)) return 'active';
    if (this.backoff.has(key)) return 'backoff';
    if (this.unschedulable.has(key)) return 'unschedulable';
    if (this.inFlight.has(key)) return 'inFlight';
    return undefined;
  }

  /** A new pending pod. */
  add(pod: Pod): void {
    const key = keyOf(pod);
    if (this.where(key)) {
      this.update(pod);
      return;
    }
    const now = this.clock.now();
    this.pushActive({ key, pod, attempts: 0, timestamp: now, firstSeen: now, created: createdOf(pod, now) });
  }

  /**
   * The pod changed. In the active or backoff queue the object is replaced; an unschedulable pod
   * whose spec or labels changed may fit now, so it is moved on.
   */
  update(pod: Pod): void {
    const key = keyOf(pod);
    const a = this.active.get(key);
    if (a) {
      this.active.push(key, { ...a, pod });
      return;
    }
    const b = this.backoff.get(key);
    if (b) {
      this.backoff.push(key, { ...b, pod });
      return;
    }
    const f = this.inFlight.get(key);
    if (f) {
      f.pod = pod;
      return;
    }
    const u = this.unschedulable.get(key);
    if (u) {
      const changed =
        JSON.stringify(u.pod.spec) !== JSON.stringify(pod.spec) ||
        JSON.stringify(u.pod.metadata?.labels) !== JSON.stringify(pod.metadata?.labels);
      if (!changed) {
        u.pod = pod;
        return;
      }
      this.unschedulable.delete(key);
      this.requeue({ ...u, pod });
      return;
    }
    this.add(pod);
  }

  delete(key: string): void {
    this.active.delete(key);
    this.backoff.delete(key);
    this.unschedulable.delete(key);
    this.inFlight.delete(key);
  }

  /** Waits for the highest-priority active pod; undefined once closed or aborted. */
  async pop(signal?: AbortSignal): Promise<QueuedPod | undefined> {
    for (;;) {
      if (this.closed || signal?.aborted) return undefined;
      const next = this.active.pop();
      if (next) {
        this.schedulingCycle++;
        next.attempts++;
        this.inFlight.set(next.key, next);
        return next;
      }
      await new Promise<void>((resolve) => {
        const onAbort = (): void => resolve();
        signal?.addEventListener('abort', onAbort, { once: true });
        this.waiters.push(() => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        });
      });
    }
  }

  /** The attempt ended (bound, given up, or the pod is gone). */
  done(key: string): void {
    this.inFlight.delete(key);
  }

  /**
   * The attempt found no node. `cycle` is the schedulingCycle at pop time: if a cluster event
   * asked for a move meanwhile, the pod goes to backoff instead (the event may have made room).
   */
  addUnschedulable(q: QueuedPod, cycle: number): void {
    if (!this.inFlight.has(q.key) && this.where(q.key)) return;
    this.inFlight.delete(q.key);
    q.timestamp = this.clock.now();
    if (this.moveRequestCycle >= cycle) this.backoff.push(q.key, q);
    else this.unschedulable.set(q.key, q);
  }

  /** The attempt failed with an error (API trouble, conflict): retry after backoff. */
  addBackoff(q: QueuedPod): void {
    if (!this.inFlight.has(q.key) && this.where(q.key)) return;
    this.inFlight.delete(q.key);
    q.timestamp = this.clock.now();
    this.backoff.push(q.key, q);
  }

  /** A cluster event that may make unschedulable pods fit (node added or changed, pod deleted). */
  moveAll(): void {
    for (const q of this.unschedulable.values()) this.requeue(q);
    this.unschedulable.clear();
    this.moveRequestCycle = this.schedulingCycle;
  }

  /**
   * A cluster event that can only help some unschedulable pods (a pod placed: pods with pod
   * affinity or spread constraints may fit now): moves those on.
   */
  moveMatching(helped: (pod: Pod) => boolean): void {
    for (const [key, q] of this.unschedulable) {
      if (!helped(q.pod)) continue;
      this.unschedulable.delete(key);
      this.requeue(q);
    }
    this.moveRequestCycle = this.schedulingCycle;
  }

  /** Moves due backoff pods to active and unschedulable pods waiting too long onwards. */
  flush(): void {
    const now = this.clock.now();
    for (let top = this.backoff.peek(); top && this.backoffExpiry(top) <= now; top = this.backoff.peek()) {
      this.backoff.pop();
      this.pushActive(top);
    }
    for (const [key, q] of this.unschedulable) {
      if (now - q.timestamp >= this.maxUnschedulableMs) {
        this.unschedulable.delete(key);
        this.requeue(q);
      }
    }
  }

  backoffMs(attempts: number): number {
    if (attempts <= 0) return 0;
    return Math.min(this.maxBackoffMs, this.initialBackoffMs * 2 ** Math.min(attempts - 1, 30));
  }

  private backoffExpiry(q: QueuedPod): number {
    return q.timestamp + this.backoffMs(q.attempts);
  }

  private requeue(q: QueuedPod): void {
    if (this.backoffExpiry(q) > this.clock.now()) this.backoff.push(q.key, q);
    else this.pushActive(q);
  }

  private pushActive(q: QueuedPod): void {
    this.active.push(q.key, q);
    const w = this.waiters.shift();
    if (w) w();
  }
}
