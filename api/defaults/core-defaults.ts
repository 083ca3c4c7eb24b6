import type { Endpoints, Namespace, Node, Secret, Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';

/** Upstream's core/v1, discovery/v1 and scheduling/v1 defaults for the non-workload kinds. */

export const NAMESPACE_NAME_LABEL = 'kubernetes.io/metadata.name';

export function defaultService(svc: Service): void {
  const s = svc.spec;
  if (!s) return;
  s.type ||= 'ClusterIP';
  s.sessionAffinity ||= 'None';
  if (s.sessionAffinity === 'ClientIP') {
    s.sessionAffinityConfig ??= {};
    s.sessionAffinityConfig.clientIP ??= {};
    s.sessionAffinityConfig.clientIP.timeoutSeconds ??= 10800;
  }
  for (const p of s.ports ?? []) {
    p.protocol ||= 'TCP';
    if (p.targetPort === undefined || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  }
  if (s.type === 'ExternalName') return;
  s.internalTrafficPolicy ||= 'Cluster';
  if (s.type === 'NodePort' || s.type === 'LoadBalancer') s.externalTrafficPolicy ||= 'Cluster';
  if (s.type === 'LoadBalancer') s.allocateLoadBalancerNodePorts ??= true;
  // skiff serves one IP family; an IPv6 cluster IP asked for by the client picks IPv6.
  s.ipFamilyPolicy ||= 'SingleStack';
  if (!s.ipFamilies || s.ipFamilies.length === 0) {
    const ip = s.clusterIPs?.[0] ?? s.clusterIP;
    s.ipFamilies = [ip?.includes(':') ? 'IPv6' : 'IPv4'];
  }
}

export function defaultNamespace(ns: Namespace): void {
  ns.spec ??= {};
  // Upstream adds the finalizer when a namespace is created; once deletion has started, an empty
  // list is the namespace controller's finalize call and must stay empty.
  const deleting = ns.metadata?.deletionTimestamp !== undefined;
  if (!deleting && (!ns.spec.finalizers || ns.spec.finalizers.length === 0))
    ns.spec.finalizers = ['kubernetes'];
  ns.status ??= {};
  ns.status.phase ||= 'Active';
  const name = ns.metadata?.name;
  if (name) {
    ns.metadata ??= {};
    ns.metadata.labels = { ...(ns.metadata.labels ?? {}), [NAMESPACE_NAME_LABEL]: name };
  }
}

/** Type Opaque; stringData is a write-only convenience folded into data (base64), as upstream converts it. */
export function defaultSecret(secret: Secret): void {
  secret.type ||= 'Opaque';
  if (secret.stringData) {
    const data = { ...(secret.data ?? {}) };
    for (const [k, v] of Object.entries(secret.stringData))
      data[k] = Buffer.from(String(v), 'utf8').toString('base64');
    secret.data = data;
    delete secret.stringData;
  }
}

export function defaultNode(node: Node): void {
  const st = node.status;
  if (st?.capacity && !st.allocatable) st.allocatable = { ...st.capacity };
}

export function defaultEndpoints(ep: Endpoints): void {
  for (const ss of ep.subsets ?? []) for (const p of ss.ports ?? []) p.protocol ||= 'TCP';
}

export function defaultEndpointSlice(es: EndpointSlice): void {
  // Go clients send a nil list as null (dropped before this): it means no endpoints.
  es.endpoints ??= [];
  for (const p of es.ports ?? []) {
    p.protocol ||= 'TCP';
    p.name ??= '';
  }
}

export function defaultPriorityClass(pc: PriorityClass): void {
  pc.preemptionPolicy ||= 'PreemptLowerPriority';
}
