import { isDeepStrictEqual } from 'node:util';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort, EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, splitKey } from '../../api/object.js';
import type { ApiClient, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefTo } from './controller-ref.js';
import { watchServicesAndPods } from './endpoints-controller.js';
import { isPodReady } from './pod-state.js';
import type { PodObject } from './replicaset-controller.js';
import { ENDPOINT_SLICES } from './resources.js';
import {
  findPort,
  hasAddress,
  lastChangeTriggerTime,
  podsForService,
  TRIGGER_TIME_ANNOTATION,
} from './service-pods.js';

type ServiceObject = Service & KubeObject;
type SliceObject = EndpointSlice & KubeObject;

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
export const MANAGED_BY_LABEL = 'endpointslice.kubernetes.io/managed-by';
export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

/** What one slice should hold. */
export interface SliceContent {
  ports: EndpointPort[];
  endpoints: Endpoint[];
}

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;
}

/**
 * The endpoints of a service from its pods (ready, serving, terminating), grouped by resolved
 * port set and split into slices of at most `max` endpoints. No endpoints: one empty slice.
 */
export function planSlices(
  svc: Service,
  pods: readonly PodObject[],
  max = MAX_ENDPOINTS_PER_SLICE,
): SliceContent[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const groups = new Map<string, SliceContent>();
  for (const pod of pods) {
    if (!hasAddress(pod)) continue;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { name: sp.name ?? '', port, protocol: sp.protocol ?? 'TCP' };
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
    ports.sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    const terminating = Boolean(pod.metadata.deletionTimestamp);
    const podReady = isPodReady(pod);
    const endpoint: Endpoint = {
      addresses: [pod.status?.podIP ?? ''],
      conditions: {
        ready: !terminating && (publishNotReady || podReady),
        serving: publishNotReady || podReady,
        terminating,
      },
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
      },
    };
    if (pod.spec?.nodeName) endpoint.nodeName = pod.spec.nodeName;
    if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name)
      endpoint.hostname = pod.spec.hostname;
    const key = ports.map(portKey).join(',');
    let group = groups.get(key);
    if (!group) {
      group = { ports, endpoints: [] };
      groups.set(key, group);
    }
    group.endpoints.push(endpoint);
  }
  const out: SliceContent[] = [];
  for (const [, g] of [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    g.endpoints.sort((a, b) =>
      a.addresses[0] < b.addresses[0] ? -1 : a.addresses[0] > b.addresses[0] ? 1 : 0,
    );
    for (let i = 0; i < g.endpoints.length; i += max) {
      out.push({ ports: g.ports, endpoints: g.endpoints.slice(i, i + max) });
    }
  }
  if (out.length === 0) out.push({ ports: [], endpoints: [] });
  return out;
}

function sameContent(slice: SliceObject, want: SliceContent): boolean {
  const norm = (v: unknown) => JSON.parse(JSON.stringify(v ?? []));
  return (
    isDeepStrictEqual(norm(slice.endpoints), norm(want.endpoints)) &&
    isDeepStrictEqual(norm(slice.ports), norm(want.ports))
  );
}

/** Keeps discovery.k8s.io/v1 EndpointSlices for each Service with a selector. */
export class EndpointSliceController {
  constructor(
    private readonly d: {
      services: Store<ServiceObject>;
      pods: Store<PodObject>;
      slices: Store<SliceObject>;
      api: ApiClient;
      queue: WorkQueue<string>;
      log: Logger;
    },
  ) {}

  /** Slices this controller wrote per service, by name: the resourceVersion written or `deleted`. */
  private readonly written = new Map<string, Map<string, string>>();

  /** True while the cache has not yet seen every slice write of the service. */
  private stale(key: string, namespace: string): boolean {
    const writes = this.written.get(key);
    if (!writes) return false;
    for (const [name, rv] of writes) {
      const cached = this.d.slices.get(`${namespace}/${name}`);
      if (
        rv === 'deleted'
          ? cached !== undefined
          : !cached || Number(cached.metadata.resourceVersion) < Number(rv)
      ) {
        return true;
      }
    }
    this.written.delete(key);
    return false;
  }

  private record(key: string, name: string, rv: string): void {
    let writes = this.written.get(key);
    if (!writes) {
      writes = new Map();
      this.written.set(key, writes);
    }
    writes.set(name, rv);
  }

  private slicesOf(namespace: string, name: string): SliceObject[] {
    return this.d.slices
      .byIndex('namespace', namespace)
      .filter(
        (s) =>
          s.metadata.labels?.[SERVICE_NAME_LABEL] === name &&
          s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY,
      );
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    if (this.stale(key, namespace)) {
      // Acting on a cache that misses our own writes would duplicate slices: wait for it.
      this.d.queue.addAfter(key, 100);
      return;
    }
    const svc = this.d.services.get(key);
    const existing = this.slicesOf(namespace, name).filter((s) => !s.metadata.deletionTimestamp);
    if (!svc?.spec?.selector) {
      if (!svc) for (const s of existing) await this.remove(key, s);
      return;
    }
    const pods = podsForService(svc, this.d.pods);
    const wanted = planSlices(svc, pods);
    const trigger = lastChangeTriggerTime(svc, pods);
    const labels: Record<string, string> = {
      ...(svc.metadata.labels ?? {}),
      [SERVICE_NAME_LABEL]: name,
      [MANAGED_BY_LABEL]: MANAGED_BY,
    };
    // Keep slices whose content is already right; reuse the rest for what is still missing.
    const unmatched = [...existing];
    const missing: SliceContent[] = [];
    for (const w of wanted) {
      const i = unmatched.findIndex(
        (s) => sameContent(s, w) && isDeepStrictEqual(s.metadata.labels ?? {}, labels),
      );
      if (i >= 0) unmatched.splice(i, 1);
      else missing.push(w);
    }
    for (const w of missing) {
      const reuse = unmatched.shift();
      const annotations: Record<string, string> = { ...(reuse?.metadata.annotations ?? {}) };
      if (trigger) annotations[TRIGGER_TIME_ANNOTATION] = trigger;
      const body: SliceObject = {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: reuse
          ? { ...structuredClone(reuse.metadata), labels, annotations }
          : {
              generateName: `${name}-`,
              namespace,
              labels,
              annotations,
              ownerReferences: [controllerRefTo(svc, 'v1', 'Service')],
            },
        addressType: svc.spec.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4',
        endpoints: w.endpoints,
        ports: w.ports,
      };
      const saved = reuse
        ? await this.d.api.update<SliceObject>(ENDPOINT_SLICES, body)
        : await this.d.api.create<SliceObject>(ENDPOINT_SLICES, body, { namespace });
      this.record(key, saved.metadata.name ?? '', saved.metadata.resourceVersion ?? '0');
    }
    for (const s of unmatched) await this.remove(key, s);
  }

  private async remove(key: string, slice: SliceObject): Promise<void> {
    this.record(key, slice.metadata.name ?? '', 'deleted');
    try {
      await this.d.api.delete(ENDPOINT_SLICES, slice.metadata.name ?? '', {
        namespace: slice.metadata.namespace,
        preconditions: { uid: slice.metadata.uid },
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }
}

export const endpointSliceEntry: ControllerEntry = {
  name: 'endpointslice',
  aliases: ['endpointslice-controller'],
  start(ctx) {
    const queue = ctx.newQueue();
    const { services, pods } = watchServicesAndPods(ctx, (k) => queue.add(k));
    const slices = ctx.informers.informerFor<SliceObject>(ENDPOINT_SLICES);
    const forSlice = (s: SliceObject): void => {
      const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY)
        queue.add(`${s.metadata.namespace}/${svc}`);
    };
    slices.addEventHandler({ onUpdate: (_o, s) => forSlice(s), onDelete: forSlice });
    ctx.runWorkers(
      queue,
      new EndpointSliceController({
        services,
        pods,
        slices: slices.store,
        api: ctx.api,
        queue,
        log: ctx.log,
      }),
    );
  },
};
