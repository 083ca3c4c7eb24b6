import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../errors.js';
import { duplicate, forbidden, invalidValue, notSupported, required } from './field-errors.js';
import { isDns1123Label, isDns1123Subdomain, isValidIp, isValidPortNum } from './name-rules.js';
import { validateNamedPort } from './pod-spec.js';

const SERVICE_TYPES = ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort'];
const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const TRAFFIC_POLICIES = ['Cluster', 'Local'];
const SESSION_AFFINITIES = ['ClientIP', 'None'];
const IP_FAMILIES = ['IPv4', 'IPv6'];
const IP_FAMILY_POLICIES = ['SingleStack', 'PreferDualStack', 'RequireDualStack'];

function validatePort(p: ServicePort, field: string, requireName: boolean, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  if (requireName && !p.name) errs.push(required(`${field}.name`));
  else if (p.name) {
    for (const m of isDns1123Label(p.name)) errs.push(invalidValue(`${field}.name`, p.name, m));
    if (names.has(p.name)) errs.push(duplicate(`${field}.name`, p.name));
    names.add(p.name);
  }
  if (p.port === undefined) errs.push(required(`${field}.port`));
  else for (const m of isValidPortNum(p.port)) errs.push(invalidValue(`${field}.port`, p.port, m));
  if (!p.protocol) errs.push(required(`${field}.protocol`));
  else if (!PROTOCOLS.includes(p.protocol))
    errs.push(notSupported(`${field}.protocol`, p.protocol, PROTOCOLS));
  if (p.targetPort !== undefined && p.targetPort !== 0)
    errs.push(...validateNamedPort(`${field}.targetPort`, p.targetPort));
  if (p.nodePort !== undefined && p.nodePort !== 0) {
    for (const m of isValidPortNum(p.nodePort)) errs.push(invalidValue(`${field}.nodePort`, p.nodePort, m));
  }
  return errs;
}

/** Upstream's ValidateService without the allocation parts (cluster IPs and node ports are the server's). */
export function validateService(svc: Service): FieldError[] {
  const s = svc.spec;
  if (!s) return [required('spec')];
  const errs: FieldError[] = [];
  const type = s.type ?? 'ClusterIP';
  if (!SERVICE_TYPES.includes(type)) errs.push(notSupported('spec.type', type, SERVICE_TYPES));
  const headless = s.clusterIP === 'None';
  const ports = s.ports ?? [];
  if (type === 'ExternalName') {
    if (!s.externalName) errs.push(required('spec.externalName'));
    else {
      const name = s.externalName.endsWith('.') ? s.externalName.slice(0, -1) : s.externalName;
      for (const m of isDns1123Subdomain(name))
        errs.push(invalidValue('spec.externalName', s.externalName, m));
    }
    if (s.clusterIP && s.clusterIP !== '') {
      errs.push(forbidden('spec.clusterIPs', 'may not be set for ExternalName services'));
    }
  } else if (ports.length === 0 && !headless) {
    errs.push(required('spec.ports'));
  }
  const names = new Set<string>();
  const seen = new Set<string>();
  ports.forEach((p, i) => {
    const f = `spec.ports[${i}]`;
    errs.push(...validatePort(p, f, ports.length > 1, names));
    const key = `${p.port}/${p.protocol ?? ''}`;
    if (seen.has(key)) errs.push(duplicate(f, { port: p.port, protocol: p.protocol }));
    seen.add(key);
    if (p.nodePort && (type === 'ClusterIP' || type === 'ExternalName')) {
      errs.push(forbidden(`${f}.nodePort`, `may not be used when \`type\` is '${type}'`));
    }
  });
  (s.clusterIPs ?? (s.clusterIP ? [s.clusterIP] : [])).forEach((ip, i) => {
    if (ip === 'None' || ip === '') return;
    for (const m of isValidIp(ip)) errs.push(invalidValue(`spec.clusterIPs[${i}]`, ip, m));
  });
  if (s.clusterIP && s.clusterIPs && s.clusterIPs.length > 0 && s.clusterIPs[0] !== s.clusterIP) {
    errs.push(invalidValue('spec.clusterIPs', s.clusterIPs, 'must have the same value as spec.ClusterIP'));
  }
  (s.externalIPs ?? []).forEach((ip, i) => {
    for (const m of isValidIp(ip)) errs.push(invalidValue(`spec.externalIPs[${i}]`, ip, m));
  });
  if (s.sessionAffinity !== undefined && !SESSION_AFFINITIES.includes(s.sessionAffinity)) {
    errs.push(notSupported('spec.sessionAffinity', s.sessionAffinity, SESSION_AFFINITIES));
  }
  const timeout = s.sessionAffinityConfig?.clientIP?.timeoutSeconds;
  if (timeout !== undefined && (timeout <= 0 || timeout > 86400)) {
    errs.push(
      invalidValue(
        'spec.sessionAffinityConfig.clientIP.timeoutSeconds',
        timeout,
        'must be greater than 0 and less than 86400',
      ),
    );
  }
  if (s.externalTrafficPolicy !== undefined) {
    if (type !== 'NodePort' && type !== 'LoadBalancer') {
      errs.push(
        invalidValue(
          'spec.externalTrafficPolicy',
          s.externalTrafficPolicy,
          "may only be set when `type` is 'NodePort' or 'LoadBalancer'",
        ),
      );
    } else if (!TRAFFIC_POLICIES.includes(s.externalTrafficPolicy)) {
      errs.push(notSupported('spec.externalTrafficPolicy', s.externalTrafficPolicy, TRAFFIC_POLICIES));
    }
  }
  if (s.internalTrafficPolicy !== undefined && !TRAFFIC_POLICIES.includes(s.internalTrafficPolicy)) {
    errs.push(notSupported('spec.internalTrafficPolicy', s.internalTrafficPolicy, TRAFFIC_POLICIES));
  }
  if (s.healthCheckNodePort && !(type === 'LoadBalancer' && s.externalTrafficPolicy === 'Local')) {
    errs.push(
      invalidValue(
        'spec.healthCheckNodePort',
        s.healthCheckNodePort,
        'may only be set when `type` is "LoadBalancer" and `externalTrafficPolicy` is "Local"',
      ),
    );
  }
  (s.ipFamilies ?? []).forEach((f, i) => {
    if (!IP_FAMILIES.includes(f)) errs.push(notSupported(`spec.ipFamilies[${i}]`, f, IP_FAMILIES));
  });
  if (s.ipFamilyPolicy !== undefined && !IP_FAMILY_POLICIES.includes(s.ipFamilyPolicy)) {
    errs.push(notSupported('spec.ipFamilyPolicy', s.ipFamilyPolicy, IP_FAMILY_POLICIES));
  }
  if (s.loadBalancerIP && type !== 'LoadBalancer') {
    errs.push(forbidden('spec.loadBalancerIP', "may only be used when `type` is 'LoadBalancer'"));
  }
  if (s.selector) {
    for (const [k, v] of Object.entries(s.selector)) {
      if (typeof v !== 'string') errs.push(invalidValue('spec.selector', v, 'must be a string'));
      else if (k === '') errs.push(invalidValue('spec.selector', k, 'name part must be non-empty'));
    }
  }
  return errs;
}

/** A cluster IP, once allocated, stays, unless the service changes to or from ExternalName. */
export function validateServiceUpdate(next: Service, old: Service): FieldError[] {
  const n = next.spec ?? {};
  const o = old.spec ?? {};
  const errs: FieldError[] = [];
  if (n.type === 'ExternalName' || o.type === 'ExternalName') return errs;
  const oldIp = o.clusterIPs?.[0] ?? o.clusterIP;
  const newIp = n.clusterIPs?.[0] ?? n.clusterIP;
  // An empty new value is left to the server, which copies the allocated IP back.
  if (oldIp && newIp !== undefined && newIp !== '' && newIp !== oldIp) {
    errs.push(invalidValue('spec.clusterIPs[0]', newIp, 'may not change once set'));
  }
  return errs;
}
