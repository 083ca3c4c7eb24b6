import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { keyOf } from '../api/object.js';

export type Protocol = 'TCP' | 'UDP' | 'SCTP';

/** The label that ties an EndpointSlice to its Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
/** Services carrying this label are handled by another proxy (as upstream). */
export const SERVICE_PROXY_NAME_LABEL = 'service.kubernetes.io/service-proxy-name';
/** Set by the endpoint-slice controller: when the change that produced the slice happened. */
export const LAST_CHANGE_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';

export interface ProxyEndpoint {
  ip: string;
  port: number;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  nodeName?: string;
  zone?: string;
}

/** One port of one Service, with everything the rule renderers need. */
export interface ServicePortInfo {
  /** `namespace/name:portName/protocol`: stable identity, hashed into chain names. */
  key: string;
  namespace: string;
  name: string;
  portName: string;
  protocol: Protocol;
  clusterIPs: string[];
  port: number;
  nodePort?: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** Seconds; set only for sessionAffinity ClientIP. */
  affinityTimeoutSeconds?: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  healthCheckNodePort?: number;
  /** Every endpoint of the port, sorted by ip then port. */
  endpoints: ProxyEndpoint[];
}

/** Whole desired state: service ports sorted by key. */
export interface ProxyState {
  services: ServicePortInfo[];
}

export interface SkippedObject {
  kind: 'Service' | 'EndpointSlice';
  /** `namespace/name` of the object. */
  key: string;
  reason: string;
}

const DEFAULT_AFFINITY_SECONDS = 10_800;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(s: string | undefined): s is string {
  return typeof s === 'string' && IPV4.test(s);
}

export function isLoopbackIPv4(s: string): boolean {
  return isIPv4(s) && s.startsWith('127.');
}

function validPort(n: unknown): n is number {
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65_535;
}

function protocolOf(p: string | undefined): Protocol | undefined {
  const v = p ?? 'TCP';
  return v === 'TCP' || v === 'UDP' || v === 'SCTP' ? v : undefined;
}

/**
 * Endpoints a policy may use: ready ones, or when none is ready, the serving terminating ones
 * (so that connections drain to terminating pods rather than fail).
 */
export function usableEndpoints(eps: readonly ProxyEndpoint[]): ProxyEndpoint[] {
  const ready = eps.filter((e) => e.ready);
  if (ready.length > 0) return ready;
  return eps.filter((e) => e.serving && e.terminating);
}

/** Usable endpoints on the given node. */
export function localEndpoints(eps: readonly ProxyEndpoint[], nodeName: string): ProxyEndpoint[] {
  return usableEndpoints(eps.filter((e) => e.nodeName === nodeName));
}

/** Whether the service port has any destination reached from outside (NodePort, external/LB IPs). */
export function hasExternalDestinations(svc: ServicePortInfo): boolean {
  return svc.nodePort !== undefined || svc.externalIPs.length > 0 || svc.loadBalancerIPs.length > 0;
}

/** Endpoints of one service port, merged across its slices; duplicates (same ip:port) collapse. */
function endpointsFor(
  slices: readonly EndpointSlice[],
  portName: string,
  protocol: Protocol,
): ProxyEndpoint[] {
  const byAddr = new Map<string, ProxyEndpoint>();
  for (const slice of slices) {
    if (slice.addressType !== 'IPv4') continue;
    for (const p of slice.ports ?? []) {
      if ((p.name ?? '') !== portName || (p.protocol ?? 'TCP') !== protocol || !validPort(p.port)) continue;
      for (const ep of slice.endpoints ?? []) {
        const ip = ep.addresses?.[0];
        if (!isIPv4(ip)) continue;
        const ready = ep.conditions?.ready ?? true;
        const e: ProxyEndpoint = {
          ip,
          port: p.port,
          ready,
          serving: ep.conditions?.serving ?? ready,
          terminating: ep.conditions?.terminating ?? false,
        };
        if (ep.nodeName) e.nodeName = ep.nodeName;
        if (ep.zone) e.zone = ep.zone;
        const k = `${ip}:${p.port}`;
        // A ready copy wins over a stale one from another slice.
        const prev = byAddr.get(k);
        if (!prev || (!prev.ready && e.ready)) byAddr.set(k, e);
      }
    }
  }
  return [...byAddr.values()].sort(compareEndpoints);
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

function compareEndpoints(a: ProxyEndpoint, b: ProxyEndpoint): number {
  return ipToNumber(a.ip) - ipToNumber(b.ip) || a.port - b.port;
}

/**
 * Why an EndpointSlice cannot be used, or undefined when it can. Only IPv4 slices are read (the
 * others are not this proxy's); a port without a number means "all ports" and is left out.
 */
export function sliceProblem(slice: EndpointSlice): string | undefined {
  if (slice.addressType !== 'IPv4') return undefined;
  const seen = new Set<string>();
  for (const p of slice.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (!protocol) return `unsupported protocol ${p.protocol}`;
    if (p.port != null && !validPort(p.port)) return `invalid port ${p.port}`;
    const id = `${p.name ?? ''}/${protocol}`;
    if (seen.has(id)) return `duplicate port ${id}`;
    seen.add(id);
  }
  for (const ep of slice.endpoints ?? []) {
    const ip = ep.addresses?.[0];
    if (!isIPv4(ip)) return `invalid IPv4 address ${ip ?? '(none)'}`;
  }
  return undefined;
}

/** Ports of one Service, or why it is skipped; `undefined` when the service needs no rules. */
export function servicePorts(
  svc: Service,
  slices: readonly EndpointSlice[],
): { ports: ServicePortInfo[] } | { skip: string } | undefined {
  const spec = svc.spec;
  if (!spec) return undefined;
  if (svc.metadata?.labels?.[SERVICE_PROXY_NAME_LABEL]) return undefined;
  if (spec.type === 'ExternalName') return undefined;
  const clusterIPs = (
    spec.clusterIPs?.length ? spec.clusterIPs : spec.clusterIP ? [spec.clusterIP] : []
  ).filter((ip) => ip !== 'None' && ip !== '');
  if (clusterIPs.length === 0) return undefined; // headless or not yet allocated
  const v4 = clusterIPs.filter(isIPv4);
  if (v4.length === 0) {
    if (clusterIPs.every((ip) => ip.includes(':'))) return undefined; // IPv6-only: not ours
    return { skip: `invalid clusterIP ${clusterIPs.join(',')}` };
  }
  const namespace = svc.metadata?.namespace ?? '';
  const name = svc.metadata?.name ?? '';
  const externalIPs = (spec.externalIPs ?? []).filter(isIPv4);
  const loadBalancerIPs = (svc.status?.loadBalancer?.ingress ?? [])
    .filter((i) => i.ipMode !== 'Proxy')
    .map((i) => i.ip)
    .filter(isIPv4);
  const external = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  let affinityTimeoutSeconds: number | undefined;
  if (spec.sessionAffinity === 'ClientIP') {
    const t = spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS;
    if (!Number.isInteger(t) || t < 1 || t > 86_400) return { skip: `invalid sessionAffinity timeout ${t}` };
    affinityTimeoutSeconds = t;
  }
  const ports: ServicePortInfo[] = [];
  const seen = new Set<string>();
  for (const p of spec.ports ?? []) {
    const protocol = protocolOf(p.protocol);
    if (!protocol) return { skip: `unsupported protocol ${p.protocol}` };
    if (!validPort(p.port)) return { skip: `invalid port ${p.port}` };
    const portName = p.name ?? '';
    const key = `${namespace}/${name}:${portName}/${protocol}`;
    if (seen.has(key)) return { skip: `duplicate port ${portName}/${protocol}` };
    seen.add(key);
    const info: ServicePortInfo = {
      key,
      namespace,
      name,
      portName,
      protocol,
      clusterIPs: v4,
      port: p.port,
      externalIPs,
      loadBalancerIPs: spec.type === 'LoadBalancer' ? loadBalancerIPs : [],
      externalPolicyLocal: spec.externalTrafficPolicy === 'Local',
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      endpoints: endpointsFor(slices, portName, protocol),
    };
    if (external && p.nodePort !== undefined) {
      if (!validPort(p.nodePort)) return { skip: `invalid nodePort ${p.nodePort}` };
      info.nodePort = p.nodePort;
    }
    if (affinityTimeoutSeconds !== undefined) info.affinityTimeoutSeconds = affinityTimeoutSeconds;
    if (info.externalPolicyLocal && spec.healthCheckNodePort)
      info.healthCheckNodePort = spec.healthCheckNodePort;
    ports.push(info);
  }
  return { ports };
}

type PortsResult = ReturnType<typeof servicePorts>;

/** Per-service results of the last build, reused while the Service and its slices are the same objects. */
export type ServicePortsCache = Map<
  string,
  {
    svc: Service;
    slices: readonly EndpointSlice[];
    result: PortsResult;
    badSlices: SkippedObject[];
    claims: string[];
  }
>;

/** A service's ports from its usable slices; the others are reported. */
function computeService(
  svc: Service,
  slices: readonly EndpointSlice[],
): { result: PortsResult; badSlices: SkippedObject[]; claims: string[] } {
  const badSlices: SkippedObject[] = [];
  const usable = slices.filter((slice) => {
    const reason = sliceProblem(slice);
    if (reason) badSlices.push({ kind: 'EndpointSlice', key: keyOf(slice), reason });
    return !reason;
  });
  const result = servicePorts(svc, usable);
  return { result, badSlices, claims: result && 'ports' in result ? claimsOf(result.ports) : [] };
}

const NO_SLICES: readonly EndpointSlice[] = [];

function sameRefs<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/**
 * Builds the whole desired state from services and slices. Bad objects (a Service, or one
 * EndpointSlice of a Service) are skipped and reported so that they never break the rules of others; conflicting ports (two services
 * claiming the same nodePort, or the same clusterIP/port) keep the first by key. With a cache
 * (informer objects are immutable), only services whose objects changed are computed again.
 */
export function buildProxyState(
  services: Iterable<Service>,
  slicesByService: ReadonlyMap<string, readonly EndpointSlice[]>,
  cache?: ServicePortsCache,
): { state: ProxyState; skipped: SkippedObject[] } {
  const skipped: SkippedObject[] = [];
  const out: ServicePortInfo[] = [];
  const keyed = [...services].map((svc) => [keyOf(svc), svc] as const);
  keyed.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const taken = new Map<string, string>();
  for (const [key, svc] of keyed) {
    const slices = slicesByService.get(key) ?? NO_SLICES;
    const hit = cache?.get(key);
    const computed =
      hit && hit.svc === svc && sameRefs(hit.slices, slices) ? hit : computeService(svc, slices);
    if (computed !== hit) cache?.set(key, { ...computed, svc, slices });
    const r = computed.result;
    skipped.push(...computed.badSlices);
    if (!r) continue;
    if ('skip' in r) {
      skipped.push({ kind: 'Service', key, reason: r.skip });
      continue;
    }
    const conflict = findConflict(computed.claims, key, taken);
    if (conflict) {
      skipped.push({ kind: 'Service', key, reason: conflict });
      continue;
    }
    out.push(...r.ports);
  }
  if (cache && cache.size > keyed.length) {
    const live = new Set(keyed.map(([k]) => k));
    for (const k of cache.keys()) if (!live.has(k)) cache.delete(k);
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return { state: { services: out }, skipped };
}

/** What a service's ports hold exclusively: NodePorts, and address/protocol/port destinations. */
function claimsOf(ports: readonly ServicePortInfo[]): string[] {
  const claims: string[] = [];
  for (const p of ports) {
    if (p.nodePort !== undefined) claims.push(`${p.protocol}/${p.nodePort}`);
    for (const ip of [...p.clusterIPs, ...p.externalIPs, ...p.loadBalancerIPs])
      claims.push(`${ip}/${p.protocol}/${p.port}`);
  }
  return claims;
}

function findConflict(
  claims: readonly string[],
  owner: string,
  taken: Map<string, string>,
): string | undefined {
  for (const k of claims) {
    const other = taken.get(k);
    if (other !== undefined && other !== owner) return `${k} already used by ${other}`;
  }
  for (const k of claims) taken.set(k, owner);
  return undefined;
}
