import type { Etcd3, IEvent, IKeyValue } from 'etcd3';
import type { Logger } from 'pino';
import { badRequest } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { directWatch, openEtcdWatch } from './etcd-watch.js';
import { decodeKv } from './kv-codec.js';
import { storageWatchers } from './storage-metrics.js';
import { StorageError, type StoreEvent, type StoreWatch, type WatchOptions } from './store.js';
import { watchCacheDispatch } from './watch-cache-metrics.js';
import { sinkOf, type WatchSink } from './watch-cache-sink.js';
import { bookmark, type Change, changeFromEtcd, eventFor, targetCovers } from './watch-events.js';
import { WatchQueue } from './watch-queue.js';

export interface WatchCacheOptions {
  /** Recent changes kept in memory, so watches from a recent resourceVersion replay without etcd. */
  bufferSize: number;
  /** How often watchers that asked for bookmarks get one. */
  bookmarkIntervalMs: number;
  /** Events a watcher may have pending before it is closed as too slow. */
  queueSize: number;
}

export const defaultWatchCacheOptions: WatchCacheOptions = {
  bufferSize: 10_000,
  bookmarkIntervalMs: 10_000,
  queueSize: 1_000,
};

interface CacheWatcher {
  target: string;
  predicate?: (o: KubeObject) => boolean;
  bookmarks: boolean;
  queue: WatchQueue;
  /** The consumer's synchronous intake, used while everything queued is consumed (see offerSink). */
  sink?: WatchSink;
  /** Events put on the queue so far. */
  queued: number;
  startRevision: number;
}

export interface WatchCacheDeps {
  /** The resource prefix, `/registry/<group>/<plural>/`. */
  prefix: string;
  client: Etcd3;
  /** Every key under the prefix at one revision (paginated by the store). */
  listAll(prefix: string): Promise<{ kvs: IKeyValue[]; revision: number }>;
  /** etcd's current revision. */
  currentRevision(): Promise<number>;
  log: Logger;
  options: WatchCacheOptions;
}

/**
 * The state of one resource and its recent changes, fed by a single etcd watch and fanned out
 * to every watcher of the resource with their predicates evaluated in memory.
 */
export class WatchCache {
  private readonly state = new Map<string, KubeObject>();
  private ring: Array<Change | undefined>;
  private ringHead = 0;
  private ringLength = 0;
  /** Every change with a revision above this one is in the ring. */
  private windowStart = 0;
  private revision = 0;
  private readonly watchers = new Set<CacheWatcher>();
  /** Watches served straight from etcd (start revision older than the ring). */
  private readonly direct = new Set<WatchQueue>();
  private initializing: Promise<void> | undefined;
  private ready = false;
  private closed = false;
  private etcdWatch: { cancel(): void } | undefined;
  private bookmarkTimer: NodeJS.Timeout | undefined;

  constructor(private readonly d: WatchCacheDeps) {
    this.ring = new Array(d.options.bufferSize);
  }

  get isReady(): boolean {
    return this.ready;
  }

  get currentRevision(): number {
    return this.revision;
  }

  /** Loads the state and starts the etcd watch once; a failed attempt is retried by the next caller. */
  ensureReady(): Promise<void> {
    if (this.closed)
      return Promise.reject(new StorageError('Unavailable', this.d.prefix, 'storage is closed'));
    this.initializing ??= this.initialize().catch((e: unknown) => {
      this.initializing = undefined;
      throw e;
    });
    return this.initializing;
  }

  /** A copy of the cached object, or undefined. Only meaningful when ready. */
  get(key: string): KubeObject | undefined {
    const obj = this.state.get(key);
    return obj === undefined ? undefined : structuredClone(obj);
  }

  /** Copies of the cached objects under `target` that match, in key order, and the cache revision. */
  list(target: string, predicate?: (o: KubeObject) => boolean): { items: KubeObject[]; revision: number } {
    const items: KubeObject[] = [];
    for (const key of [...this.state.keys()].sort()) {
      if (!targetCovers(target, key)) continue;
      const obj = this.state.get(key) as KubeObject;
      if (predicate && !predicate(obj)) continue;
      items.push(structuredClone(obj));
    }
    return { items, revision: this.revision };
  }

  /** Starts a watch on `target` (a prefix or a key under this cache's prefix). Errors surface from the events iterator. */
  watch(target: string, options: WatchOptions = {}): StoreWatch {
    const queue = new WatchQueue(this.d.options.queueSize);
    this.ensureReady()
      .then(() => this.checkNotFuture(target, options.resourceVersion))
      .then(
        () => this.register(target, options, queue),
        (e: unknown) => queue.fail(e instanceof Error ? e : new Error(String(e))),
      );
    return queue;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ready = false;
    if (this.bookmarkTimer) clearInterval(this.bookmarkTimer);
    this.etcdWatch?.cancel();
    for (const w of [...this.watchers]) w.queue.end();
    for (const q of [...this.direct]) q.end();
    this.watchers.clear();
  }

  /** Watchers of this resource, from memory and straight from etcd. */
  get watcherCount(): number {
    return this.watchers.size + this.direct.size;
  }

  /** A start revision etcd has not reached yet is refused, as upstream does (Too large resource version). */
  private async checkNotFuture(target: string, rv: string | undefined): Promise<void> {
    if (!rv || !/^\d+$/.test(rv) || Number(rv) <= this.revision) return;
    if (Number(rv) > (await this.d.currentRevision())) {
      throw new StorageError('TooLargeResourceVersion', target, `Too large resource version: ${rv}`);
    }
  }

  private register(target: string, options: WatchOptions, queue: WatchQueue): void {
    if (queue.isClosed) return;
    if (this.closed) {
      queue.end();
      return;
    }
    const rv = options.resourceVersion ?? '';
    // sendInitialEvents: the current state (at least as new as any given revision), then changes.
    const sendInitial = rv === '0' || options.recursive === true;
    let start = this.revision;
    let queued = 0;
    if (sendInitial) {
      for (const obj of this.list(target, options.predicate).items)
        if (queue.push({ type: 'ADDED', object: obj }, true)) queued++;
      if (options.recursive && options.bookmarks) {
        if (queue.push(bookmark(this.revision, { 'k8s.io/initial-events-end': 'true' }), true)) queued++;
      }
    } else if (rv !== '') {
      const from = Number(rv);
      if (!Number.isSafeInteger(from) || from < 0) {
        queue.fail(badRequest(`invalid resource version "${rv}"`));
        return;
      }
      if (from < this.windowStart) {
        // Older than what memory holds: let etcd replay it, or say it was compacted.
        directWatch(this.d.client, target, from, queue, {
          predicate: options.predicate,
          bookmarks: options.bookmarks,
          bookmarkIntervalMs: this.d.options.bookmarkIntervalMs,
          log: this.d.log,
        });
        this.trackDirect(queue);
        return;
      }
      for (const change of this.changesAfter(from)) {
        if (!targetCovers(target, change.key)) continue;
        const ev = eventFor(change, options.predicate);
        if (ev && queue.push(ev, true)) queued++;
      }
      start = Math.max(from, this.revision);
    }
    const watcher: CacheWatcher = {
      target,
      predicate: options.predicate,
      bookmarks: options.bookmarks === true,
      queue,
      sink: sinkOf(queue),
      queued,
      startRevision: start,
    };
    this.watchers.add(watcher);
    storageWatchers.inc({ resource: this.d.prefix });
    queue.onEnd(() => {
      if (this.watchers.delete(watcher)) storageWatchers.dec({ resource: this.d.prefix });
    });
  }

  private trackDirect(queue: WatchQueue): void {
    this.direct.add(queue);
    storageWatchers.inc({ resource: this.d.prefix });
    queue.onEnd(() => {
      this.direct.delete(queue);
      storageWatchers.dec({ resource: this.d.prefix });
    });
  }

  private async initialize(): Promise<void> {
    const { kvs, revision } = await this.d.listAll(this.d.prefix);
    if (this.closed) return;
    this.state.clear();
    for (const kv of kvs) this.state.set(kv.key.toString('utf8'), decodeKv(kv));
    this.revision = revision;
    this.windowStart = revision;
    this.ring = new Array(this.d.options.bufferSize);
    this.ringHead = 0;
    this.ringLength = 0;
    this.etcdWatch = openEtcdWatch(
      this.d.client,
      this.d.prefix,
      revision + 1,
      {
        onEvents: (events, headerRevision) => this.apply(events, headerRevision),
        onCancel: (error) => this.restart(error),
      },
      this.d.log,
    );
    this.ready = true;
    if (!this.bookmarkTimer) {
      this.bookmarkTimer = setInterval(() => this.sendBookmarks(), this.d.options.bookmarkIntervalMs);
      this.bookmarkTimer.unref();
    }
  }

  /** The etcd watch was cancelled (e.g. its revision got compacted while etcd was away): start over, and end every watch so clients relist. */
  private restart(error: Error): void {
    this.d.log.warn(
      { prefix: this.d.prefix, err: error.message },
      'watch cache lost its etcd watch, reloading',
    );
    this.ready = false;
    this.initializing = undefined;
    this.etcdWatch = undefined;
    for (const w of [...this.watchers]) w.queue.end();
    if (!this.closed)
      this.ensureReady().catch((e: unknown) =>
        this.d.log.warn({ prefix: this.d.prefix, err: String(e) }, 'watch cache reload failed'),
      );
  }

  private apply(events: IEvent[], headerRevision: number): void {
    const started = performance.now();
    let delivered = false;
    // Several changes in one response: each consumer may hold them back and write them at once.
    const batch = events.length > 1;
    const inBatch = batch ? new Set<WatchSink>() : undefined;
    for (const ev of events) {
      const key = ev.kv.key.toString('utf8');
      const change = changeFromEtcd(ev, this.state.get(key));
      if (!change || change.revision < this.revision) continue;
      if (change.deleted) this.state.delete(key);
      else this.state.set(key, change.object);
      this.remember(change);
      this.revision = change.revision;
      // Watchers with the same predicate (the apiserver shares one per selector) see the same event.
      const seen = new Map<((o: KubeObject) => boolean) | undefined, StoreEvent | undefined>();
      for (const w of this.watchers) {
        if (change.revision <= w.startRevision || !targetCovers(w.target, key)) continue;
        let out = seen.get(w.predicate);
        if (out === undefined && !seen.has(w.predicate)) {
          out = eventFor(change, w.predicate);
          seen.set(w.predicate, out);
        }
        if (!out || w.queue.isClosed) continue;
        // Straight to the consumer when all it was queued is consumed, else in order behind that.
        if (w.sink && w.queued === w.sink.consumed && w.sink.offer(out, batch)) {
          delivered = true;
          inBatch?.add(w.sink);
        } else if (w.queue.push(out)) {
          w.queued++;
          delivered = true;
        }
      }
    }
    if (inBatch) for (const sink of inBatch) sink.flush?.();
    if (delivered) {
      // Queued events are written in the microtasks that follow; the next turn of the loop is after them.
      setImmediate(() =>
        watchCacheDispatch.observe({ resource: this.d.prefix }, (performance.now() - started) / 1000),
      );
    }
    // A response without events (progress) still says nothing under the prefix changed up to its revision.
    if (events.length === 0 && headerRevision > this.revision) {
      this.revision = headerRevision;
      if (this.ringLength === 0) this.windowStart = headerRevision;
    }
  }

  private remember(change: Change): void {
    const size = this.ring.length;
    if (size === 0) {
      this.windowStart = change.revision;
      return;
    }
    if (this.ringLength === size) {
      const evicted = this.ring[this.ringHead] as Change;
      this.windowStart = evicted.revision;
      this.ring[this.ringHead] = change;
      this.ringHead = (this.ringHead + 1) % size;
    } else {
      this.ring[(this.ringHead + this.ringLength) % size] = change;
      this.ringLength++;
    }
  }

  private *changesAfter(revision: number): Generator<Change> {
    const size = this.ring.length;
    for (let i = 0; i < this.ringLength; i++) {
      const c = this.ring[(this.ringHead + i) % size] as Change;
      if (c.revision > revision) yield c;
    }
  }

  private sendBookmarks(): void {
    for (const w of this.watchers) {
      if (w.bookmarks && w.queue.push(bookmark(Math.max(this.revision, w.startRevision)))) w.queued++;
    }
  }
}
