import type { ConfigMap, Node, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import type { ApiObject } from '../../api/object.js';
import type { ApiClient, ResourceRef } from '../../client/rest-client.js';

export const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

/** Thrown for a required source that does not exist, worded as the kubelet words it. */
export class SourceNotFoundError extends Error {
  constructor(kind: 'configmap' | 'secret', name: string) {
    super(`${kind} "${name}" not found`);
  }
}

export interface SourceCacheOptions {
  api: ApiClient;
  log: Logger;
  now: () => number;
  /** How long an object read from the API is used before it is read again. Default 10 s. */
  ttlMs?: number;
  /** How long "not found" is believed; shorter, so waiting pods start soon after it appears. Default 3 s. */
  missingTtlMs?: number;
}

interface Entry {
  at: number;
  /** Loaded at least once. */
  loaded: boolean;
  usedAt: number;
  value: ApiObject | undefined;
  loading?: Promise<ApiObject | undefined>;
}

/** Entries nobody asked for in this long are dropped. */
const IDLE_MS = 300_000;

/**
 * The ConfigMaps, Secrets and the Node the kubelet's env and volumes read, each GET shared by all
 * pods and syncs for a short time (upstream's "Cache" change-detection strategy). Pods sync every
 * second; this bounds API reads to one per object per TTL, whatever the number of pods, without a
 * watch connection per object (the client's connection pool would not hold hundreds of them).
 */
export class SourceCache {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly missingTtlMs: number;
  private lastSweep = 0;

  constructor(private readonly o: SourceCacheOptions) {
    this.ttlMs = o.ttlMs ?? 10_000;
    this.missingTtlMs = o.missingTtlMs ?? 3000;
  }

  /** The ConfigMap, or undefined when it does not exist. */
  configMap(namespace: string, name: string): Promise<ConfigMap | undefined> {
    return this.get(CONFIGMAPS, namespace, name) as Promise<ConfigMap | undefined>;
  }

  secret(namespace: string, name: string): Promise<Secret | undefined> {
    return this.get(SECRETS, namespace, name) as Promise<Secret | undefined>;
  }

  node(name: string): Promise<Node | undefined> {
    return this.get(NODES, '', name) as Promise<Node | undefined>;
  }

  /** Forgets everything, so the next reads go to the API. */
  clear(): void {
    this.entries.clear();
  }

  /** The Services of a namespace (for the service env variables). */
  async services(namespace: string): Promise<Service[]> {
    const list = await this.cached(`services/${namespace}/`, async () => {
      const l = await this.o.api.list<Service & ApiObject>(SERVICES, { namespace });
      return l as unknown as ApiObject;
    });
    return ((list as { items?: Service[] } | undefined)?.items ?? []) as Service[];
  }

  private get(res: ResourceRef, namespace: string, name: string): Promise<ApiObject | undefined> {
    return this.cached(`${res.plural}/${namespace}/${name}`, async () => {
      try {
        return await this.o.api.get(res, name, { namespace: namespace || undefined });
      } catch (err) {
        if (isStatusError(err, 'NotFound')) return undefined;
        throw err;
      }
    });
  }

  /** `load()` at most once per TTL per key (shorter while it gives undefined), shared by concurrent callers. */
  private async cached(
    key: string,
    load: () => Promise<ApiObject | undefined>,
  ): Promise<ApiObject | undefined> {
    const now = this.o.now();
    this.sweep(now);
    let e = this.entries.get(key);
    if (e) {
      e.usedAt = now;
      if (e.loading) return e.loading;
      const ttl = e.value ? this.ttlMs : this.missingTtlMs;
      if (now - e.at < ttl) return e.value;
    } else {
      e = { at: 0, loaded: false, usedAt: now, value: undefined };
      this.entries.set(key, e);
    }
    const entry = e;
    entry.loading = this.refresh(key, entry, load).finally(() => {
      entry.loading = undefined;
    });
    return entry.loading;
  }

  private async refresh(
    key: string,
    e: Entry,
    load: () => Promise<ApiObject | undefined>,
  ): Promise<ApiObject | undefined> {
    try {
      e.value = await load();
    } catch (err) {
      // Keep serving what we had while the API is unreachable; only a first read fails.
      if (e.loaded) {
        e.at = this.o.now();
        this.o.log.warn({ err, key }, 'source refresh failed, using cached copy');
        return e.value;
      }
      this.entries.delete(key);
      throw err;
    }
    e.at = this.o.now();
    e.loaded = true;
    return e.value;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < IDLE_MS) return;
    this.lastSweep = now;
    for (const [k, e] of this.entries) if (!e.loading && now - e.usedAt > IDLE_MS) this.entries.delete(k);
  }
}
