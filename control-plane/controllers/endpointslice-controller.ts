import type { Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
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
import {
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  type SliceContent,
  type SliceObject,
  SliceWriter,
} from './slice-writer.js';

type ServiceObject = Service & KubeObject;

export const MANAGED_BY = 'endpointslice-controller.k8s.io';
export const MAX_ENDPOINTS_PER_SLICE = 100;

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

/** Keeps discovery.k8s.io/v1 EndpointSlices for each Service with a selector. */
export class EndpointSliceController {
  private readonly writer: SliceWriter;

  constructor(
    private readonly d: {
      services: Store<ServiceObject>;
      pods: Store<PodObject>;
      slices: Store<SliceObject>;
      api: ApiClient;
      queue: WorkQueue<string>;
      log: Logger;
    },
  ) {
    this.writer = new SliceWriter(d.api, d.slices, MANAGED_BY);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    if (this.writer.stale(key, namespace)) {
      // Acting on a cache that misses our own writes would duplicate slices: wait for it.
      this.d.queue.addAfter(key, 100);
      return;
    }
    const svc = this.d.services.get(key);
    if (!svc) {
      await this.writer.removeAll(key, namespace, name);
      return;
    }
    if (!svc.spec?.selector) return;
    const pods = podsForService(svc, this.d.pods);
    const trigger = lastChangeTriggerTime(svc, pods);
    await this.writer.reconcile(key, {
      namespace,
      serviceName: name,
      wanted: planSlices(svc, pods),
      labels: { ...(svc.metadata.labels ?? {}) },
      annotations: trigger ? { [TRIGGER_TIME_ANNOTATION]: trigger } : {},
      owner: controllerRefTo(svc, 'v1', 'Service'),
      addressType: svc.spec.ipFamilies?.[0] === 'IPv6' ? 'IPv6' : 'IPv4',
    });
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
