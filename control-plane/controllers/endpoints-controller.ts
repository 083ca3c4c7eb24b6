import { isDeepStrictEqual } from 'node:util';
import type {
  EndpointAddress,
  EndpointPort,
  EndpointSubset,
  Endpoints,
  Service,
} from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { labelSelectorFromSet } from '../../api/labels.js';
import { type KubeObject, keyOf, splitKey } from '../../api/object.js';
import type { ApiClient, Store } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { isPodReady } from './pod-state.js';
import type { PodObject } from './replicaset-controller.js';
import { ENDPOINTS, PODS, SERVICES } from './resources.js';
import {
  findPort,
  hasAddress,
  lastChangeTriggerTime,
  podsForService,
  TRIGGER_TIME_ANNOTATION,
} from './service-pods.js';

type ServiceObject = Service & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

const HEADLESS_LABEL = 'service.kubernetes.io/headless';

function portKey(p: EndpointPort): string {
  return `${p.name ?? ''}/${p.port}/${p.protocol ?? 'TCP'}/${p.appProtocol ?? ''}`;
}

/**
 * The subsets of a service's Endpoints from its pods: ready pods as addresses, others as
 * notReadyAddresses, addresses with the same resolved ports grouped in one subset.
 */
export function computeSubsets(svc: Service, pods: readonly PodObject[]): EndpointSubset[] {
  const publishNotReady = svc.spec?.publishNotReadyAddresses === true;
  const byAddress = new Map<string, { addr: EndpointAddress; ready: boolean; ports: EndpointPort[] }>();
  for (const pod of pods) {
    if (!hasAddress(pod) || pod.metadata.deletionTimestamp) continue;
    const addr: EndpointAddress = {
      ip: pod.status?.podIP ?? '',
      targetRef: {
        kind: 'Pod',
        namespace: pod.metadata.namespace,
        name: pod.metadata.name,
        uid: pod.metadata.uid,
      },
    };
    if (pod.spec?.nodeName) addr.nodeName = pod.spec.nodeName;
    if (pod.spec?.hostname && pod.spec.subdomain === svc.metadata?.name) addr.hostname = pod.spec.hostname;
    const ports: EndpointPort[] = [];
    for (const sp of svc.spec?.ports ?? []) {
      const port = findPort(pod, sp);
      if (port === undefined) continue;
      const ep: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
      if (sp.name) ep.name = sp.name;
      if (sp.appProtocol) ep.appProtocol = sp.appProtocol;
      ports.push(ep);
    }
    // A service with ports that none resolve to on this pod gets no address from it.
    if ((svc.spec?.ports ?? []).length > 0 && ports.length === 0) continue;
    byAddress.set(addr.ip, { addr, ready: publishNotReady || isPodReady(pod), ports });
  }
  const groups = new Map<string, EndpointSubset>();
  for (const { addr, ready, ports } of byAddress.values()) {
    const sorted = [...ports].sort((a, b) => (portKey(a) < portKey(b) ? -1 : 1));
    const key = sorted.map(portKey).join(',');
    let subset = groups.get(key);
    if (!subset) {
      subset = sorted.length > 0 ? { ports: sorted } : {};
      groups.set(key, subset);
    }
    if (ready) subset.addresses = [...(subset.addresses ?? []), addr];
    else subset.notReadyAddresses = [...(subset.notReadyAddresses ?? []), addr];
  }
  const byIp = (a: EndpointAddress, b: EndpointAddress) => (a.ip < b.ip ? -1 : a.ip > b.ip ? 1 : 0);
  const subsets = [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([, s]) => s);
  for (const s of subsets) {
    s.addresses?.sort(byIp);
    s.notReadyAddresses?.sort(byIp);
  }
  return subsets;
}

/** Keeps a core/v1 Endpoints object for each Service with a selector. */
export class EndpointsController {
  constructor(
    private readonly d: {
      services: Store<ServiceObject>;
      pods: Store<PodObject>;
      endpoints: Store<EndpointsObject>;
      api: ApiClient;
      log: Logger;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const svc = this.d.services.get(key);
    if (!svc) {
      // The Service is gone: so is its Endpoints object (unless someone else manages it).
      if (!this.d.endpoints.get(key)) return;
      try {
        await this.d.api.delete(ENDPOINTS, name, { namespace });
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
      return;
    }
    if (!svc.spec?.selector) return;
    const pods = podsForService(svc, this.d.pods);
    const subsets = computeSubsets(svc, pods);
    const labels: Record<string, string> = { ...(svc.metadata.labels ?? {}) };
    if (svc.spec.clusterIP === 'None') labels[HEADLESS_LABEL] = '';
    const current = this.d.endpoints.get(key);
    if (
      current &&
      isDeepStrictEqual(
        JSON.parse(JSON.stringify(current.subsets ?? [])),
        JSON.parse(JSON.stringify(subsets)),
      ) &&
      isDeepStrictEqual(current.metadata.labels ?? {}, labels)
    ) {
      return;
    }
    const annotations: Record<string, string> = { ...(current?.metadata.annotations ?? {}) };
    const trigger = lastChangeTriggerTime(svc, pods);
    if (trigger) annotations[TRIGGER_TIME_ANNOTATION] = trigger;
    else delete annotations[TRIGGER_TIME_ANNOTATION];
    const next: EndpointsObject = {
      apiVersion: 'v1',
      kind: 'Endpoints',
      metadata: current
        ? { ...structuredClone(current.metadata), labels, annotations }
        : { name, namespace, labels, annotations },
      subsets,
    };
    if (current) await this.d.api.update(ENDPOINTS, next);
    else {
      try {
        await this.d.api.create(ENDPOINTS, next, { namespace });
      } catch (e) {
        // Created meanwhile (the cache lags): the informer brings it and the next sync updates it.
        if (!isStatusError(e, 'AlreadyExists')) throw e;
        throw new Error(`endpoints ${key} appeared while creating them`, { cause: e });
      }
    }
  }
}

/** Services (keys) in the pod's namespace whose selector matches its labels. */
export function serviceKeysForPod(pod: PodObject, services: Store<ServiceObject>): string[] {
  return services
    .byIndex('namespace', pod.metadata.namespace ?? '')
    .filter((s) => s.spec?.selector && labelSelectorFromSet(s.spec.selector).matches(pod.metadata.labels))
    .map((s) => keyOf(s));
}

/** Wires a per-service controller to the service and pod informers. */
export function watchServicesAndPods(
  ctx: Parameters<ControllerEntry['start']>[0],
  add: (key: string) => void,
): { services: Store<ServiceObject>; pods: Store<PodObject> } {
  const services = ctx.informers.informerFor<ServiceObject>(SERVICES);
  const pods = ctx.informers.informerFor<PodObject>(PODS);
  services.addEventHandler({
    onAdd: (s) => add(keyOf(s)),
    onUpdate: (_o, s) => add(keyOf(s)),
    onDelete: (s) => add(keyOf(s)),
  });
  const forPod = (p: PodObject): void => {
    for (const k of serviceKeysForPod(p, services.store)) add(k);
  };
  pods.addEventHandler({
    onAdd: forPod,
    onUpdate: (old, p) => {
      forPod(old);
      forPod(p);
    },
    onDelete: forPod,
  });
  return { services: services.store, pods: pods.store };
}

export const endpointsEntry: ControllerEntry = {
  name: 'endpoints',
  aliases: ['endpoint', 'endpoints-controller'],
  start(ctx) {
    const queue = ctx.newQueue();
    const { services, pods } = watchServicesAndPods(ctx, (k) => queue.add(k));
    const endpoints = ctx.informers.informerFor<EndpointsObject>(ENDPOINTS);
    endpoints.addEventHandler({ onDelete: (e) => queue.add(keyOf(e)) });
    ctx.runWorkers(
      queue,
      new EndpointsController({ services, pods, endpoints: endpoints.store, api: ctx.api, log: ctx.log }),
    );
  },
};
