import { readFileSync } from 'node:fs';
import type { CallOptions } from '@grpc/grpc-js';
import { Etcd3, type IKeyValue, type IOptions, type IRangeResponse, type ITxnResponse } from 'etcd3';
import type { Logger } from 'pino';
import { badRequest } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { decodeContinue, encodeContinue } from './continue-token.js';
import { toStorageError } from './etcd-errors.js';
import { etcdWatchCounter } from './etcd-watch.js';
import { decodeKv, decodeValue, encodeObject, prefixEnd, sameObject } from './kv-codec.js';
import { etcdRequestDuration } from './storage-metrics.js';
import {
  type ListOptions,
  type ListResult,
  type Preconditions,
  StorageError,
  type Store,
  type StoreWatch,
  type UpdateFn,
  type WatchOptions,
} from './store.js';
import { defaultWatchCacheOptions, WatchCache, type WatchCacheOptions } from './watch-cache.js';
import { WatchQueue } from './watch-queue.js';

export interface EtcdTlsOptions {
  caFile?: string;
  certFile?: string;
  keyFile?: string;
}

export interface EtcdStoreOptions {
  endpoints: string[];
  tls?: EtcdTlsOptions;
  log: Logger;
  /** Deadline of each etcd request, so a stopped etcd fails requests instead of hanging them. */
  requestTimeoutMs?: number;
  /** Deadline of the health probe. */
  healthTimeoutMs?: number;
  watchCache?: Partial<WatchCacheOptions>;
}

/** Keys fetched per etcd range while paging (bounded so a response stays far below gRPC's limits). */
const PAGE_SIZE = 1000;
/** Guard only: pages keep responses small, this stops one huge object from failing a read. */
const MAX_RECEIVE_BYTES = 64 * 1024 * 1024;
/** Leases for TTL keys (events) are shared by creates within this window, as upstream's lease manager does. */
const LEASE_REUSE_MS = 60_000;

type WatchBackoff = NonNullable<NonNullable<IOptions['faultHandling']>['watchBackoff']>;

interface KeyState {
  obj: KubeObject;
  modRevision: string;
  lease?: string;
  fromCache: boolean;
}

function stateOf(kv: IKeyValue): KeyState {
  const lease = kv.lease && kv.lease !== '0' ? kv.lease : undefined;
  return { obj: decodeKv(kv), modRevision: kv.mod_revision, lease, fromCache: false };
}

function cappedBackoff(duration: number, max: number): WatchBackoff {
  return { duration, next: () => cappedBackoff(Math.min(duration * 2, max), max) };
}

/** The client options for an etcd endpoint list; shared with the compactor so both connect the same way. */
export function etcdClientOptions(endpoints: string[], tls?: EtcdTlsOptions): IOptions {
  const options: IOptions = {
    hosts: endpoints,
    grpcOptions: {
      'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_timeout_ms': 10_000,
    },
    dialTimeout: 3_000,
    faultHandling: { watchBackoff: cappedBackoff(100, 2_000) },
  };
  if (tls?.caFile) {
    options.credentials = {
      rootCertificate: readFileSync(tls.caFile),
      certChain: tls.certFile ? readFileSync(tls.certFile) : undefined,
      privateKey: tls.keyFile ? readFileSync(tls.keyFile) : undefined,
    };
  }
  return options;
}

/** The resource a key or prefix belongs to: its first three path segments, `/registry/<group>/<plural>/`. */
export function resourcePrefixOf(target: string): string {
  const parts = target.split('/');
  if (parts.length >= 5) return `${parts.slice(0, 4).join('/')}/`;
  if (target.endsWith('/')) return target;
  return target.slice(0, target.lastIndexOf('/') + 1);
}

export class EtcdStore implements Store {
  readonly client: Etcd3;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  private readonly healthTimeoutMs: number;
  private readonly cacheOptions: WatchCacheOptions;
  private readonly caches = new Map<string, WatchCache>();
  private readonly leases = new Map<number, { id: Promise<string>; grantedAt: number }>();
  private closed = false;

  constructor(readonly opts: EtcdStoreOptions) {
    this.log = opts.log;
    this.timeoutMs = opts.requestTimeoutMs ?? 5_000;
    this.healthTimeoutMs = opts.healthTimeoutMs ?? 1_500;
    this.cacheOptions = { ...defaultWatchCacheOptions, ...opts.watchCache };
    this.client = new Etcd3(etcdClientOptions(opts.endpoints, opts.tls));
  }

  /** Watches currently held open on etcd by this process (all stores). */
  static get openEtcdWatches(): number {
    return etcdWatchCounter.open;
  }

  async create(key: string, obj: KubeObject, options?: { leaseSeconds?: number }): Promise<KubeObject> {
    const value = encodeObject(obj);
    const k = Buffer.from(key);
    const lease = options?.leaseSeconds ? await this.leaseFor(options.leaseSeconds, key) : undefined;
    const res = await this.call('create', key, (o) =>
      this.client.kv.txn(
        {
          compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
          success: [{ request_put: { key: k, value, lease } }],
          failure: [],
        },
        o,
      ),
    );
    if (!res.succeeded) throw new StorageError('KeyExists', key, `key ${key} already exists`);
    return decodeValue(value, String(res.header.revision));
  }

  async get(key: string, options?: { resourceVersion?: string }): Promise<KubeObject> {
    const rv = options?.resourceVersion ?? '';
    if (rv === '0') {
      const cache = this.caches.get(resourcePrefixOf(key));
      if (cache?.isReady) {
        const obj = cache.get(key);
        if (!obj) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
        return obj;
      }
    }
    const minimum = rv === '' || rv === '0' ? 0 : parseRevision(rv, key);
    const res = await this.range('get', key, { key: Buffer.from(key) });
    if (Number(res.header.revision) < minimum) throw tooLarge(key);
    const kv = res.kvs[0];
    if (!kv) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
    return decodeKv(kv);
  }

  async list(prefix: string, options: ListOptions = {}): Promise<ListResult> {
    if (options.continue) {
      const { rv, startKey } = decodeContinue(options.continue, prefix);
      return this.listFrom(prefix, startKey, rv, options);
    }
    const rv = options.resourceVersion ?? '';
    if (rv === '0') {
      const cache = this.caches.get(resourcePrefixOf(prefix));
      // Served from memory like upstream's cacher: the whole list, limit not applied.
      if (cache?.isReady) {
        const { items, revision } = cache.list(prefix, options.predicate);
        return { items, resourceVersion: String(revision) };
      }
    }
    if (rv === '' || rv === '0') return this.listFrom(prefix, prefix, undefined, options);
    const revision = parseRevision(rv, prefix);
    if (options.resourceVersionMatch === 'Exact') return this.listFrom(prefix, prefix, revision, options);
    const result = await this.listFrom(prefix, prefix, undefined, options);
    if (Number(result.resourceVersion) < revision) throw tooLarge(prefix);
    return result;
  }

  async guaranteedUpdate(
    key: string,
    update: UpdateFn,
    options?: { preconditions?: Preconditions },
  ): Promise<KubeObject> {
    const k = Buffer.from(key);
    // A warm watch cache saves the read: a stale copy only costs a failed compare, whose
    // failure branch returns the fresh key. ignore_lease keeps a lease the cache cannot see.
    let current = this.cachedState(key) ?? stateOf(await this.readKv('update', key));
    for (;;) {
      try {
        checkPreconditions(key, current.obj, options?.preconditions);
      } catch (e) {
        if (!current.fromCache) throw e;
        current = stateOf(await this.readKv('update', key));
        continue;
      }
      const next = await update(structuredClone(current.obj));
      if (sameObject(next, current.obj)) {
        if (!current.fromCache) return current.obj;
        current = stateOf(await this.readKv('update', key));
        continue;
      }
      const value = encodeObject(next);
      const put = current.fromCache
        ? { key: k, value, ignore_lease: true }
        : { key: k, value, lease: current.lease };
      let res: ITxnResponse;
      try {
        res = await this.call('update', key, (o) =>
          this.client.kv.txn(
            {
              compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: current.modRevision }],
              success: [{ request_put: put }],
              failure: [{ request_range: { key: k } }],
            },
            o,
          ),
        );
      } catch (e) {
        // The key's lease expired since the read, so etcd removed the key too: read again.
        if (
          e instanceof StorageError &&
          /lease not found/.test(String((e.cause as Error | undefined)?.message))
        ) {
          current = stateOf(await this.readKv('update', key));
          continue;
        }
        throw e;
      }
      if (res.succeeded) return decodeValue(value, String(res.header.revision));
      const latest = res.responses[0]?.response_range?.kvs[0];
      if (!latest) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      current = stateOf(latest);
    }
  }

  /** The object as the resource's watch cache has it, when that cache is initialised. */
  private cachedState(key: string): KeyState | undefined {
    const cache = this.caches.get(resourcePrefixOf(key));
    if (!cache?.isReady) return undefined;
    const obj = cache.get(key);
    const rv = obj?.metadata.resourceVersion;
    if (!obj || !rv) return undefined;
    return { obj, modRevision: rv, fromCache: true };
  }

  /** Starts the watch cache of the resource under prefix and waits until it holds the current state. */
  async warmCache(prefix: string): Promise<void> {
    if (this.closed) return;
    await this.cacheFor(resourcePrefixOf(prefix)).ensureReady();
  }

  async delete(key: string, options?: { preconditions?: Preconditions }): Promise<KubeObject> {
    const k = Buffer.from(key);
    let current = await this.readKv('delete', key);
    for (;;) {
      const currentObj = decodeKv(current);
      checkPreconditions(key, currentObj, options?.preconditions);
      const res = await this.call('delete', key, (o) =>
        this.client.kv.txn(
          {
            compare: [{ key: k, target: 'Mod', result: 'Equal', mod_revision: current.mod_revision }],
            success: [{ request_delete_range: { key: k } }],
            failure: [{ request_range: { key: k } }],
          },
          o,
        ),
      );
      if (res.succeeded) return currentObj;
      const latest = res.responses[0]?.response_range?.kvs[0];
      if (!latest) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
      current = latest;
    }
  }

  watch(prefix: string, options?: WatchOptions): StoreWatch {
    if (this.closed) {
      const q = new WatchQueue(1);
      q.end();
      return q;
    }
    return this.cacheFor(resourcePrefixOf(prefix)).watch(prefix, options);
  }

  private cacheFor(resource: string): WatchCache {
    let cache = this.caches.get(resource);
    if (!cache) {
      cache = new WatchCache({
        prefix: resource,
        client: this.client,
        listAll: (p) => this.listAll(p),
        currentRevision: async () => Number(await this.currentRevision()),
        log: this.log.child({ resource }),
        options: this.cacheOptions,
      });
      this.caches.set(resource, cache);
    }
    return cache;
  }

  async currentRevision(): Promise<string> {
    const res = await this.range('revision', 'health', { key: Buffer.from('health'), count_only: true });
    return String(res.header.revision);
  }

  async healthy(): Promise<boolean> {
    try {
      await this.client.kv.range(
        { key: Buffer.from('health'), count_only: true },
        { deadline: Date.now() + this.healthTimeoutMs },
      );
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.caches.values()].map((c) => c.close()));
    this.caches.clear();
    this.client.close();
  }

  /** Watchers registered across this store's watch caches. */
  watcherCount(): number {
    let n = 0;
    for (const c of this.caches.values()) n += c.watcherCount;
    return n;
  }

  private async listFrom(
    prefix: string,
    startKey: string,
    revision: number | undefined,
    options: ListOptions,
  ): Promise<ListResult> {
    if (!prefix.endsWith('/')) throw badRequest(`list prefix must end with "/": ${prefix}`);
    const end = prefixEnd(prefix);
    const limit = options.limit && options.limit > 0 ? options.limit : undefined;
    const predicate = options.predicate;
    let pageSize = limit ? Math.min(limit, PAGE_SIZE) : PAGE_SIZE;
    let snapshot = revision;
    let from = Buffer.from(startKey);
    const items: KubeObject[] = [];
    let next: string | undefined;
    let remaining: number | undefined;
    for (;;) {
      const res = await this.range('list', prefix, {
        key: from,
        range_end: end,
        limit: pageSize,
        revision: snapshot,
      });
      snapshot ??= Number(res.header.revision);
      let consumed = 0;
      for (const kv of res.kvs) {
        consumed++;
        const obj = decodeKv(kv);
        if (predicate && !predicate(obj)) continue;
        items.push(obj);
        if (limit && items.length >= limit) break;
      }
      const last = res.kvs[consumed - 1];
      const more = consumed < res.kvs.length || res.more;
      if (limit && items.length >= limit) {
        if (more && last) {
          next = `${last.key.toString('utf8')}\x00`;
          if (!predicate) remaining = Number(res.count) - consumed;
        }
        break;
      }
      if (!res.more || !last) break;
      from = Buffer.concat([last.key, Buffer.from([0])]);
      // Filtering may need many etcd pages per returned page: grow them, as upstream does.
      if (predicate) pageSize = Math.min(pageSize * 2, PAGE_SIZE);
    }
    const result: ListResult = { items, resourceVersion: String(snapshot) };
    if (next !== undefined) result.continue = encodeContinue(snapshot, next, prefix);
    if (remaining !== undefined && remaining > 0) result.remainingItemCount = remaining;
    return result;
  }

  private async listAll(prefix: string): Promise<{ kvs: IKeyValue[]; revision: number }> {
    const end = prefixEnd(prefix);
    const kvs: IKeyValue[] = [];
    let revision: number | undefined;
    let from = Buffer.from(prefix);
    for (;;) {
      const res = await this.range('list', prefix, { key: from, range_end: end, limit: PAGE_SIZE, revision });
      revision ??= Number(res.header.revision);
      kvs.push(...res.kvs);
      const last = res.kvs.at(-1);
      if (!res.more || !last) return { kvs, revision };
      from = Buffer.concat([last.key, Buffer.from([0])]);
    }
  }

  private async readKv(operation: string, key: string): Promise<IKeyValue> {
    const res = await this.range(operation, key, { key: Buffer.from(key) });
    const kv = res.kvs[0];
    if (!kv) throw new StorageError('KeyNotFound', key, `key ${key} not found`);
    return kv;
  }

  private range(
    operation: string,
    key: string,
    req: { key: Buffer; range_end?: Buffer; limit?: number; revision?: number; count_only?: boolean },
  ): Promise<IRangeResponse> {
    return this.call(operation, key, (o) => this.client.kv.range(req, o));
  }

  private async leaseFor(ttlSeconds: number, key: string): Promise<string> {
    const now = Date.now();
    const reuseMs = Math.min(LEASE_REUSE_MS, ttlSeconds * 50); // 5% of the TTL
    const cached = this.leases.get(ttlSeconds);
    if (cached && now - cached.grantedAt < reuseMs) return cached.id;
    const ttl = ttlSeconds + Math.ceil(reuseMs / 1000);
    const id = this.call('lease', key, (o) => this.client.leaseClient.leaseGrant({ TTL: ttl }, o)).then((r) =>
      String(r.ID),
    );
    this.leases.set(ttlSeconds, { id, grantedAt: now });
    id.catch(() => this.leases.delete(ttlSeconds));
    return id;
  }

  private async call<T>(operation: string, key: string, fn: (o: CallOptions) => Promise<T>): Promise<T> {
    if (this.closed) throw new StorageError('Unavailable', key, 'storage is closed');
    const end = etcdRequestDuration.startTimer({ operation });
    try {
      return await fn({ deadline: Date.now() + this.timeoutMs });
    } catch (e) {
      throw toStorageError(e, key);
    } finally {
      end();
    }
  }
}

function parseRevision(rv: string, key: string): number {
  const n = Number(rv);
  if (!/^\d+$/.test(rv) || !Number.isSafeInteger(n))
    throw badRequest(`invalid resource version "${rv}" for ${key}`);
  return n;
}

function tooLarge(key: string): StorageError {
  return new StorageError('TooLargeResourceVersion', key, 'Too large resource version');
}

function checkPreconditions(key: string, obj: KubeObject, pre?: Preconditions): void {
  if (!pre) return;
  if (pre.uid && pre.uid !== obj.metadata.uid) {
    throw new StorageError(
      'Conflict',
      key,
      `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${obj.metadata.uid ?? ''}`,
    );
  }
  if (pre.resourceVersion && pre.resourceVersion !== obj.metadata.resourceVersion) {
    throw new StorageError(
      'Conflict',
      key,
      `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${obj.metadata.resourceVersion ?? ''}`,
    );
  }
}
