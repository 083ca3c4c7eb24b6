import type { Event, ObjectReference } from 'kubernetes-types/core/v1.js';
import pino, { type Logger } from 'pino';
import { Counter, register } from 'prom-client';
import { isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { type Clock, realClock } from './clock.js';
import { rfc3339 } from './micro-time.js';
import type { ApiClient, ResourceRef } from './rest-client.js';

export const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };

export type EventType = 'Normal' | 'Warning';

type EventObject = Event & KubeObject;

export interface EventRecorderOptions {
  api: ApiClient;
  /** `source.component`, e.g. `default-scheduler`, `kubelet`. */
  component: string;
  /** `source.host` (kubelets set their node name). */
  host?: string;
  /** Events waiting to be written beyond this are dropped (and counted). Default 1000. */
  queueSize?: number;
  clock?: Clock;
  log?: Logger;
}

/** Repeats of the same event within this window update the existing Event. */
const AGGREGATION_WINDOW_MS = 10 * 60 * 1000;
const CACHE_SIZE = 4096;

interface Pending {
  ref: ObjectReference;
  type: EventType;
  reason: string;
  message: string;
  at: number;
}

interface Seen {
  namespace: string;
  name: string;
  count: number;
  firstTimestamp: string;
  lastSeen: number;
}

let dropped: Counter | undefined;
function droppedCounter(): Counter {
  dropped ??=
    (register.getSingleMetric('skiff_event_recorder_dropped_total') as Counter | undefined) ??
    new Counter({
      name: 'skiff_event_recorder_dropped_total',
      help: 'Events dropped because the queue was full',
    });
  return dropped;
}

function referenceOf(obj: KubeObject | ObjectReference): ObjectReference {
  if ('metadata' in obj && obj.metadata && typeof obj.metadata === 'object') {
    const o = obj as KubeObject;
    return {
      apiVersion: o.apiVersion,
      kind: o.kind,
      namespace: o.metadata.namespace,
      name: o.metadata.name,
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
    };
  }
  return obj as ObjectReference;
}

/**
 * Records core/v1 Events without blocking the caller: events go to a bounded queue written in
 * the background. A repeat (same object, type, reason and message within 10 minutes) bumps
 * `count` and `lastTimestamp` of the existing Event instead of creating another.
 */
export class EventRecorder {
  private readonly queue: Pending[] = [];
  private readonly seen = new Map<string, Seen>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly queueSize: number;
  private pump: Promise<void> | undefined;
  private closed = false;
  private seq = 0;

  constructor(private readonly o: EventRecorderOptions) {
    this.clock = o.clock ?? realClock;
    this.log = (o.log ?? pino({ level: 'silent' })).child({ events: o.component });
    this.queueSize = o.queueSize ?? 1000;
  }

  /** Queues an event about `obj`; never throws for API trouble, never waits. */
  event(obj: KubeObject | ObjectReference, type: EventType, reason: string, message: string): void {
    if (this.closed) return;
    if (this.queue.length >= this.queueSize) {
      droppedCounter().inc();
      return;
    }
    this.queue.push({ ref: referenceOf(obj), type, reason, message, at: this.clock.now() });
    this.pump ??= this.drain().finally(() => {
      this.pump = undefined;
    });
  }

  /** Resolves once every queued event has been written (or failed). */
  async flush(): Promise<void> {
    while (this.pump) await this.pump;
  }

  /** Stops accepting events and waits for the queued ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
  }

  private async drain(): Promise<void> {
    for (let next = this.queue.shift(); next; next = this.queue.shift()) {
      try {
        await this.write(next);
      } catch (e) {
        this.log.warn({ err: e, reason: next.reason }, 'failed to write event');
      }
    }
  }

  private async write(p: Pending): Promise<void> {
    const key = [
      p.ref.kind,
      p.ref.namespace,
      p.ref.name,
      p.ref.uid,
      p.ref.apiVersion,
      p.type,
      p.reason,
      p.message,
    ].join('\u0000');
    const namespace = p.ref.namespace || 'default';
    const seen = this.seen.get(key);
    const timestamp = rfc3339(p.at);
    if (seen && p.at - seen.lastSeen <= AGGREGATION_WINDOW_MS) {
      try {
        await this.o.api.patch<EventObject>(
          EVENTS,
          seen.name,
          { count: seen.count + 1, lastTimestamp: timestamp, message: p.message },
          'merge',
          { namespace: seen.namespace },
        );
        seen.count++;
        seen.lastSeen = p.at;
        this.touch(key, seen);
        return;
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
        this.seen.delete(key);
      }
    }
    const name = `${p.ref.name ?? 'unknown'}.${(BigInt(p.at) * 1_000_000n + BigInt(this.seq++ % 1_000_000)).toString(16)}`;
    const event: EventObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata: { name, namespace },
      involvedObject: p.ref,
      reason: p.reason,
      message: p.message,
      type: p.type,
      source: this.o.host
        ? { component: this.o.component, host: this.o.host }
        : { component: this.o.component },
      reportingComponent: this.o.component,
      reportingInstance: this.o.host ?? '',
      firstTimestamp: timestamp,
      lastTimestamp: timestamp,
      count: 1,
    };
    await this.o.api.create<EventObject>(EVENTS, event, { namespace });
    this.touch(key, { namespace, name, count: 1, firstTimestamp: timestamp, lastSeen: p.at });
  }

  private touch(key: string, seen: Seen): void {
    this.seen.delete(key);
    this.seen.set(key, seen);
    if (this.seen.size > CACHE_SIZE) {
      const oldest = this.seen.keys().next().value;
      if (oldest !== undefined) this.seen.delete(oldest);
    }
  }
}
