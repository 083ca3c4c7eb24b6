import type { EndpointPort, Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { FieldError } from '../errors.js';
import { duplicate, immutable, invalidValue, notSupported, required, tooMany } from './field-errors.js';
import { isDns1123Label, isDns1123Subdomain, isValidIp, isValidPortNum } from './name-rules.js';

const PROTOCOLS = ['SCTP', 'TCP', 'UDP'];
const ADDRESS_TYPES = ['FQDN', 'IPv4', 'IPv6'];

function validatePorts(
  ports: { name?: string; port?: number; protocol?: string }[] | undefined,
  field: string,
  requireName: boolean,
): FieldError[] {
  const errs: FieldError[] = [];
  const names = new Set<string>();
  (ports ?? []).forEach((p, i) => {
    const f = `${field}[${i}]`;
    if (p.name) {
      for (const m of isDns1123Label(p.name)) errs.push(invalidValue(`${f}.name`, p.name, m));
    } else if (requireName) {
      errs.push(required(`${f}.name`));
    }
    const name = p.name ?? '';
    if (names.has(name)) errs.push(duplicate(`${f}.name`, name));
    names.add(name);
    if (p.port !== undefined)
      for (const m of isValidPortNum(p.port)) errs.push(invalidValue(`${f}.port`, p.port, m));
    else if (requireName) errs.push(required(`${f}.port`));
    if (p.protocol === undefined) errs.push(required(`${f}.protocol`));
    else if (!PROTOCOLS.includes(p.protocol)) errs.push(notSupported(`${f}.protocol`, p.protocol, PROTOCOLS));
  });
  return errs;
}

export function validateEndpoints(ep: Endpoints): FieldError[] {
  const errs: FieldError[] = [];
  (ep.subsets ?? []).forEach((ss, i) => {
    const f = `subsets[${i}]`;
    for (const list of ['addresses', 'notReadyAddresses'] as const) {
      (ss[list] ?? []).forEach((a, j) => {
        for (const m of isValidIp(a.ip)) errs.push(invalidValue(`${f}.${list}[${j}].ip`, a.ip, m));
        if (a.hostname) {
          for (const m of isDns1123Label(a.hostname))
            errs.push(invalidValue(`${f}.${list}[${j}].hostname`, a.hostname, m));
        }
      });
    }
    const ports: EndpointPort[] = ss.ports ?? [];
    errs.push(...validatePorts(ports, `${f}.ports`, ports.length > 1));
  });
  return errs;
}

export function validateEndpointSlice(es: EndpointSlice): FieldError[] {
  const errs: FieldError[] = [];
  const type = es.addressType;
  if (!type) errs.push(required('addressType'));
  else if (!ADDRESS_TYPES.includes(type)) errs.push(notSupported('addressType', type, ADDRESS_TYPES));
  const endpoints = es.endpoints ?? [];
  if (endpoints.length > 1000) errs.push(tooMany('endpoints', endpoints.length, 1000));
  endpoints.forEach((e, i) => {
    const f = `endpoints[${i}]`;
    const addrs = e.addresses ?? [];
    if (addrs.length === 0) errs.push(required(`${f}.addresses`, 'must contain at least 1 address'));
    if (addrs.length > 100) errs.push(tooMany(`${f}.addresses`, addrs.length, 100));
    addrs.forEach((a, j) => {
      const af = `${f}.addresses[${j}]`;
      if (type === 'IPv4' && !/^\d+\.\d+\.\d+\.\d+$/.test(a))
        errs.push(invalidValue(af, a, 'must be a valid IPv4 address'));
      else if (type === 'IPv4' && isValidIp(a).length > 0)
        errs.push(invalidValue(af, a, 'must be a valid IPv4 address'));
      if (type === 'IPv6' && (isValidIp(a).length > 0 || !a.includes(':'))) {
        errs.push(invalidValue(af, a, 'must be a valid IPv6 address'));
      }
      if (type === 'FQDN') for (const m of isDns1123Subdomain(a)) errs.push(invalidValue(af, a, m));
    });
    if (e.hostname)
      for (const m of isDns1123Label(e.hostname)) errs.push(invalidValue(`${f}.hostname`, e.hostname, m));
  });
  const ports = es.ports ?? [];
  if (ports.length > 20000) errs.push(tooMany('ports', ports.length, 20000));
  errs.push(...validatePorts(ports as { name?: string; port?: number; protocol?: string }[], 'ports', false));
  return errs;
}

export function validateEndpointSliceUpdate(next: EndpointSlice, old: EndpointSlice): FieldError[] {
  return immutable('addressType', next.addressType, old.addressType);
}
