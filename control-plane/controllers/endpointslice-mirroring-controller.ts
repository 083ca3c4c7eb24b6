import type { EndpointAddress, Endpoints, Service } from 'kubernetes-types/core/v1.js';
import type { Endpoint, EndpointPort } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { type KubeObject, keyOf, splitKey } from '../../api/object.js';
import type { ApiClient, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefTo } from './controller-ref.js';
import { MAX_ENDPOINTS_PER_SLICE } from './endpointslice-controller.js';
import { ENDPOINT_SLICES, ENDPOINTS, SERVICES } from './resources.js';
import {
  MANAGED_BY_LABEL,
  SERVICE_NAME_LABEL,
  type SliceContent,
  type SliceObject,
  SliceWriter,
} from './slice-writer.js';

type ServiceObject = Service & KubeObject;
type EndpointsObject = Endpoints & KubeObject;

export const MIRRORING_MANAGED_BY = 'endpointslicemirroring-controller.k8s.io';
export const SKIP_MIRROR_LABEL = 'endpointslice.kubernetes.io/skip-mirror';
/** Upstream mirrors at most this many addresses of one Endpoints object. */
export const MAX_MIRRORED_ADDRESSES = 1000;

/** Labels of the Endpoints that are not copied to its slices. */
const NOT_COPIED = new Set([SERVICE_NAME_LABEL, MANAGED_BY_LABEL, SKIP_MIRROR_LABEL]);

/** Slices for a hand-written Endpoints object: one group per subset, at most 100 per slice. */
export function mirrorSlices(ep: Endpoints, max = MAX_ENDPOINTS_PER_SLICE): SliceContent[] {
  const out: SliceContent[] = [];
  let budget = MAX_MIRRORED_ADDRESSES;
  for (const subset of ep.subsets ?? []) {
    const ports: EndpointPort[] = (subset.ports ?? []).map((p) => {
      const port: EndpointPort = { name: p.name ?? '', port: p.port, protocol: p.protocol ?? 'TCP' };
      if (p.appProtocol) port.appProtocol = p.appProtocol;
      return port;
    });
    const endpoints: Endpoint[] = [];
    const add = (a: EndpointAddress, ready: boolean): void => {
      if (budget <= 0) return;
      budget--;
      const e: Endpoint = { addresses: [a.ip], conditions: { ready, serving: ready, terminating: false } };
      if (a.hostname) e.hostname = a.hostname;
      if (a.nodeName) e.nodeName = a.nodeName;
      if (a.targetRef) e.targetRef = a.targetRef;
      endpoints.push(e);
    };
    for (const a of subset.addresses ?? []) add(a, true);
    for (const a of subset.notReadyAddresses ?? []) add(a, false);
    for (let i = 0; i < endpoints.length; i += max)
      out.push({ ports, endpoints: endpoints.slice(i, i + max) });
  }
  return out;
}

/**
 * Mirrors Endpoints of Services without a selector (written by hand or by another controller)
 * into EndpointSlices, so that slice consumers such as the proxy see them too.
 */
export class EndpointSliceMirroringController {
  private readonly writer: SliceWriter;

  constructor(
    private readonly d: {
      services: Store<ServiceObject>;
      endpoints: Store<EndpointsObject>;
      slices: Store<SliceObject>;
      api: ApiClient;
      queue: WorkQueue<string>;
      log: Logger;
    },
  ) {
    this.writer = new SliceWriter(d.api, d.slices, MIRRORING_MANAGED_BY);
  }

  async sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    if (this.writer.stale(key, namespace)) {
      this.d.queue.addAfter(key, 100);
      return;
    }
    const svc = this.d.services.get(key);
    const ep = this.d.endpoints.get(key);
    const mirror = svc && ep && !svc.spec?.selector && ep.metadata.labels?.[SKIP_MIRROR_LABEL] !== 'true';
    if (!mirror) {
      await this.writer.removeAll(key, namespace, name);
      return;
    }
    const labels = Object.fromEntries(
      Object.entries(ep.metadata.labels ?? {}).filter(([k]) => !NOT_COPIED.has(k)),
    );
    const family = ep.subsets?.[0]?.addresses?.[0]?.ip?.includes(':') ? 'IPv6' : 'IPv4';
    await this.writer.reconcile(key, {
      namespace,
      serviceName: name,
      wanted: mirrorSlices(ep),
      labels,
      annotations: {},
      owner: controllerRefTo(ep, 'v1', 'Endpoints'),
      addressType: family,
    });
  }
}

export const endpointSliceMirroringEntry: ControllerEntry = {
  name: 'endpointslicemirroring',
  aliases: ['endpointslice-mirroring-controller'],
  start(ctx) {
    const services = ctx.informers.informerFor<ServiceObject>(SERVICES);
    const endpoints = ctx.informers.informerFor<EndpointsObject>(ENDPOINTS);
    const slices = ctx.informers.informerFor<SliceObject>(ENDPOINT_SLICES);
    const queue = ctx.newQueue();
    const add = (o: KubeObject): void => queue.add(keyOf(o));
    services.addEventHandler({ onAdd: add, onUpdate: (_o, s) => add(s), onDelete: add });
    endpoints.addEventHandler({ onAdd: add, onUpdate: (_o, e) => add(e), onDelete: add });
    slices.addEventHandler({
      onUpdate: (_o, s) => {
        const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MIRRORING_MANAGED_BY)
          queue.add(`${s.metadata.namespace}/${svc}`);
      },
      onDelete: (s) => {
        const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
        if (svc && s.metadata.labels?.[MANAGED_BY_LABEL] === MIRRORING_MANAGED_BY)
          queue.add(`${s.metadata.namespace}/${svc}`);
      },
    });
    ctx.runWorkers(
      queue,
      new EndpointSliceMirroringController({
        services: services.store,
        endpoints: endpoints.store,
        slices: slices.store,
        api: ctx.api,
        queue,
        log: ctx.log,
      }),
    );
  },
};
