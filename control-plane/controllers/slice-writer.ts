import { isDeepStrictEqual } from 'node:util';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiClient, Store } from '../../client/index.js';
import { ENDPOINT_SLICES } from './resources.js';

export type SliceObject = EndpointSlice & KubeObject;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';

/** What one slice should hold. */
export interface SliceContent {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

export interface SliceTarget {
  namespace: string;
  serviceName: string;
  wanted: SliceContent[];
  labels: Record<string, string>;
  annotations: Record<string, string>;
  owner: OwnerReference;
  addressType: 'IPv4' | 'IPv6';
}

function sameContent(slice: SliceObject, want: SliceContent): boolean {
  const norm = (v: unknown) => JSON.parse(JSON.stringify(v ?? []));
  return (
    isDeepStrictEqual(norm(slice.endpoints), norm(want.endpoints)) &&
    isDeepStrictEqual(norm(slice.ports), norm(want.ports))
  );
}

/**
 * Writes the EndpointSlices of one manager (`managed-by` label) for a service: keeps slices
 * already right, rewrites others in place, creates and deletes the difference. Remembers its own
 * writes so that a sync on a cache that has not seen them yet waits instead of duplicating.
 */
export class SliceWriter {
  /** Per service key: slice name → resourceVersion written, or `deleted`. */
  private readonly written = new Map<string, Map<string, string>>();

  constructor(
    private readonly api: ApiClient,
    private readonly slices: Store<SliceObject>,
    private readonly managedBy: string,
  ) {}

  /** True while the cache misses some of this writer's writes for the service. */
  stale(key: string, namespace: string): boolean {
    const writes = this.written.get(key);
    if (!writes) return false;
    for (const [name, rv] of writes) {
      const cached = this.slices.get(`${namespace}/${name}`);
      const behind =
        rv === 'deleted'
          ? cached !== undefined
          : !cached || Number(cached.metadata.resourceVersion) < Number(rv);
      if (behind) return true;
    }
    this.written.delete(key);
    return false;
  }

  /** This manager's live slices of the service. */
  slicesOf(namespace: string, serviceName: string): SliceObject[] {
    return this.slices
      .byIndex('namespace', namespace)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === serviceName &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === this.managedBy &&
          !s.metadata.deletionTimestamp,
      );
  }

  async reconcile(key: string, t: SliceTarget): Promise<void> {
    const labels = { ...t.labels, [SERVICE_NAME_LABEL]: t.serviceName, [MANAGED_BY_LABEL]: this.managedBy };
    const unmatched = this.slicesOf(t.namespace, t.serviceName);
    const missing: SliceContent[] = [];
    for (const w of t.wanted) {
      const i = unmatched.findIndex(
        (s) => sameContent(s, w) && isDeepStrictEqual(s.metadata.labels ?? {}, labels),
      );
      if (i >= 0) unmatched.splice(i, 1);
      else missing.push(w);
    }
    for (const w of missing) {
      const reuse = unmatched.shift();
      const annotations = { ...(reuse?.metadata.annotations ?? {}), ...t.annotations };
      const body: SliceObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: reuse
          ? { ...structuredClone(reuse.metadata), labels, annotations }
          : {
              generateName: `${t.serviceName}-`,
              namespace: t.namespace,
              labels,
              annotations,
              ownerReferences: [t.owner],
            },
        addressType: t.addressType,
        endpoints: w.endpoints,
        ports: w.ports,
      };
      const saved = reuse
        ? await this.api.update<SliceObject>(ENDPOINT_SLICES, body)
        : await this.api.create<SliceObject>(ENDPOINT_SLICES, body, { namespace: t.namespace });
      this.record(key, saved.metadata.name ?? '', saved.metadata.resourceVersion ?? '0');
    }
    for (const s of unmatched) await this.remove(key, s);
  }

  /** Deletes every slice of the service this manager wrote. */
  async removeAll(key: string, namespace: string, serviceName: string): Promise<void> {
    for (const s of this.slicesOf(namespace, serviceName)) await this.remove(key, s);
  }

  private async remove(key: string, slice: SliceObject): Promise<void> {
    this.record(key, slice.metadata.name ?? '', 'deleted');
    try {
      await this.api.delete(ENDPOINT_SLICES, slice.metadata.name ?? '', {
        namespace: slice.metadata.namespace,
        preconditions: { uid: slice.metadata.uid },
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }

  private record(key: string, name: string, rv: string): void {
    let writes = this.written.get(key);
    if (!writes) {
      writes = new Map();
      this.written.set(key, writes);
    }
    writes.set(name, rv);
  }
}
