import pino, { type Logger } from 'pino';
import { isStatusError } from '../api/errors.js';
import { type ApiObject, type KubeObject, keyOf } from '../api/object.js';
import { Backoff } from './backoff.js';
import { type Clock, realClock, type TimerHandle } from './clock.js';
import type { ApiClient, ResourceRef } from './rest-client.js';
import { IndexedStore, type Indexers, type Store } from './store.js';

export interface DeleteInfo {
  /**
   * The delete was not seen as a watch event (found missing on relist): the object passed is
   * the last state known to the cache, not the final one.
   */
  finalStateUnknown: boolean;
}

export interface EventHandlers<T> {
  onAdd?(obj: T): void;
  onUpdate?(oldObj: T, newObj: T): void;
  onDelete?(obj: T, info: DeleteInfo): void;
}

export interface InformerOptions<T> {
  namespace?: string;
  labelSelector?: string;
  fieldSelector?: string;
  indexers?: Indexers<T>;
  /** Re-delivers onUpdate(obj, obj) for every cached object this often; 0 (default) disables. */
  resyncPeriodMs?: number;
  /** Page size of the initial list. Default 500. */
  pageSize?: number;
  /** Deep-freezes cached objects (default true) so that accidental mutation throws. */
  freeze?: boolean;
  backoff?: { initialMs?: number; maxMs?: number };
  clock?: Clock;
  log?: Logger;
}

/** A watch that ends this fast without any event counts as a failure, so that we back off. */
const SHORT_WATCH_MS = 1000;

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

function rvOf(obj: ApiObject): string | undefined {
  return obj.metadata?.resourceVersion;
}

/**
 * Keeps a local cache of one resource in step with the server: list (paged), then watch from
 * the list's resourceVersion with bookmarks; re-watch from the last seen resourceVersion when a
 * watch ends; relist on 410 Expired and deliver the difference; back off while the server fails.
 */
export class Informer<T extends ApiObject = KubeObject> {
  private readonly cache: IndexedStore<T>;
  private readonly handlers = new Set<EventHandlers<T>>();
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly backoff: Backoff;
  private synced = false;
  private syncWaiters: (() => void)[] = [];
  private lastResourceVersion = '';
  private started = false;

  constructor(
    private readonly api: ApiClient,
    private readonly resource: ResourceRef,
    private readonly opts: InformerOptions<T> = {},
  ) {
    this.cache = new IndexedStore<T>(opts.indexers);
    this.clock = opts.clock ?? realClock;
    this.log = (opts.log ?? pino({ level: 'silent' })).child({ informer: resource.plural });
    this.backoff = new Backoff(opts.backoff?.initialMs ?? 800, opts.backoff?.maxMs ?? 30_000);
  }

  /** The cache (read-only; objects are shared and frozen). */
  get store(): Store<T> {
    return this.cache;
  }

  /** The resourceVersion the cache reflects. */
  get resourceVersion(): string {
    return this.lastResourceVersion;
  }

  /**
   * Registers handlers. Handlers added after the cache is filled first get onAdd for every
   * cached object. Returns a function that removes them.
   */
  addEventHandler(h: EventHandlers<T>): () => void {
    this.handlers.add(h);
    if (this.synced) for (const obj of this.cache.list()) this.call('onAdd', () => h.onAdd?.(obj));
    return () => this.handlers.delete(h);
  }

  hasSynced(): boolean {
    return this.synced;
  }

  /** Resolves once the first list has been loaded; rejects if the signal aborts first. */
  waitForSync(signal?: AbortSignal): Promise<void> {
    if (this.synced) return Promise.resolve();
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<void>((resolve, reject) => {
      const onAbort = (): void => reject(signal?.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.syncWaiters.push(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
    });
  }

  /** Runs until the signal aborts; the returned promise settles then (it never rejects). */
  async start(signal: AbortSignal): Promise<void> {
    if (this.started) throw new Error('informer already started');
    this.started = true;
    let resync: TimerHandle | undefined;
    const period = this.opts.resyncPeriodMs ?? 0;
    const scheduleResync = (): void => {
      resync = this.clock.setTimeout(() => {
        if (signal.aborted) return;
        if (this.synced) this.resyncAll();
        scheduleResync();
      }, period);
    };
    if (period > 0) scheduleResync();
    try {
      await this.loop(signal);
    } finally {
      if (resync) this.clock.clearTimeout(resync);
    }
  }

  private async loop(signal: AbortSignal): Promise<void> {
    let needList = true;
    while (!signal.aborted) {
      try {
        if (needList) {
          await this.relist(signal);
          needList = false;
          this.backoff.reset();
        }
        const started = this.clock.now();
        const events = await this.watchOnce(signal);
        if (events > 0) this.backoff.reset();
        else if (this.clock.now() - started < SHORT_WATCH_MS && !signal.aborted) {
          this.log.debug('watch ended immediately without events');
          await this.clock.sleep(this.backoff.next(), signal);
        }
      } catch (e) {
        if (signal.aborted) break;
        if (
          isStatusError(e, 'Expired') ||
          isStatusError(e, 'Gone') ||
          (e as { code?: unknown }).code === 410
        ) {
          this.log.info({ resourceVersion: this.lastResourceVersion }, 'watch expired, listing again');
          needList = true;
          continue;
        }
        const delay = this.backoff.next();
        this.log.warn(
          { err: e, delayMs: delay, phase: needList ? 'list' : 'watch' },
          'informer request failed',
        );
        try {
          await this.clock.sleep(delay, signal);
        } catch {
          break;
        }
      }
    }
  }

  private async relist(signal: AbortSignal): Promise<void> {
    const list = await this.api.listAll<T>(this.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      limit: this.opts.pageSize ?? 500,
      signal,
    });
    if (signal.aborted) return;
    const seen = new Set<string>();
    for (const item of list.items) {
      seen.add(keyOf(item));
      this.upsert(item);
    }
    for (const key of this.cache.keys()) {
      if (seen.has(key)) continue;
      const old = this.cache.remove(key) as T;
      this.emit((h) => h.onDelete?.(old, { finalStateUnknown: true }), 'onDelete');
    }
    this.lastResourceVersion = list.metadata?.resourceVersion ?? '';
    if (!this.synced) {
      this.synced = true;
      for (const wake of this.syncWaiters.splice(0)) wake();
    }
  }

  /** One watch from the last resourceVersion; returns the number of events seen. */
  private async watchOnce(signal: AbortSignal): Promise<number> {
    let count = 0;
    // Like client-go, let the server end each watch after a random 5–10 minutes.
    const timeoutSeconds = 300 + Math.floor(Math.random() * 300);
    const stream = this.api.watch<T>(this.resource, {
      namespace: this.opts.namespace,
      labelSelector: this.opts.labelSelector,
      fieldSelector: this.opts.fieldSelector,
      resourceVersion: this.lastResourceVersion,
      allowWatchBookmarks: true,
      timeoutSeconds,
      signal,
    });
    for await (const ev of stream) {
      count++;
      const rv = rvOf(ev.object);
      switch (ev.type) {
        case 'ADDED':
        case 'MODIFIED':
          this.upsert(ev.object);
          break;
        case 'DELETED': {
          const old = this.cache.remove(keyOf(ev.object));
          const obj = this.prepare(ev.object);
          if (old || obj) this.emit((h) => h.onDelete?.(obj, { finalStateUnknown: false }), 'onDelete');
          break;
        }
        case 'BOOKMARK':
          break;
      }
      if (rv) this.lastResourceVersion = rv;
    }
    return count;
  }

  private upsert(raw: T): void {
    const obj = this.prepare(raw);
    const old = this.cache.set(obj);
    if (!old) this.emit((h) => h.onAdd?.(obj), 'onAdd');
    else if (rvOf(old) !== rvOf(obj) || rvOf(obj) === undefined)
      this.emit((h) => h.onUpdate?.(old, obj), 'onUpdate');
  }

  private prepare(obj: T): T {
    return this.opts.freeze === false ? obj : deepFreeze(obj);
  }

  private resyncAll(): void {
    for (const obj of this.cache.list()) this.emit((h) => h.onUpdate?.(obj, obj), 'onUpdate');
  }

  private emit(fn: (h: EventHandlers<T>) => void, what: string): void {
    for (const h of this.handlers) this.call(what, () => fn(h));
  }

  private call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error({ err: e, handler: what }, 'informer event handler threw');
    }
  }
}
