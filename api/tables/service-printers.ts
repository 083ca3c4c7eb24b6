import type { KubeObject } from '../object.js';
import { formatLabels, int, list, type Obj, obj, str } from './fields.js';
import { timestampSince } from './human-duration.js';
import { ageColumn, column, nameColumn, type Printer } from './table.js';

const MAX_SHOWN = 3;

/** `80/TCP`, `80:30080/TCP`, comma-joined. */
export function servicePorts(ports: Obj[]): string {
  return ports
    .map((p) => {
      const protocol = str(p.protocol) || 'TCP';
      return int(p.nodePort) > 0
        ? `${int(p.port)}:${int(p.nodePort)}/${protocol}`
        : `${int(p.port)}/${protocol}`;
    })
    .join(',');
}

function loadBalancerAddresses(status: Obj): string {
  return list(obj(status.loadBalancer).ingress)
    .flatMap((i) => [str(i.ip), str(i.hostname)].filter(Boolean))
    .join(',');
}

export function serviceExternalIP(svc: KubeObject): string {
  const spec = obj(svc.spec);
  const externalIPs = Array.isArray(spec.externalIPs) ? (spec.externalIPs as string[]) : [];
  switch (str(spec.type) || 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(obj(svc.status));
      if (externalIPs.length) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return str(spec.externalName);
    default:
      return '<unknown>';
  }
}

export const servicePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'type determines how the Service is exposed.'),
    column(
      'Cluster-IP',
      'string',
      'clusterIP is the IP address of the service and is usually assigned randomly.',
    ),
    column(
      'External-IP',
      'string',
      'externalIPs is a list of IP addresses for which nodes in the cluster will also accept traffic for this service.',
    ),
    column('Port(s)', 'string', 'The list of ports that are exposed by this service.'),
    ageColumn(),
    column(
      'Selector',
      'string',
      'Route service traffic to pods with label keys and values matching this selector.',
      {
        priority: 1,
      },
    ),
  ],
  print(svc, now) {
    const spec = obj(svc.spec);
    const clusterIPs = Array.isArray(spec.clusterIPs) ? (spec.clusterIPs as string[]) : [];
    const clusterIP = clusterIPs[0] ?? (str(spec.clusterIP) || '<none>');
    return {
      cells: [
        svc.metadata.name ?? '',
        str(spec.type) || 'ClusterIP',
        clusterIP,
        serviceExternalIP(svc),
        servicePorts(list(spec.ports)) || '<none>',
        timestampSince(svc.metadata.creationTimestamp, now),
        formatLabels(spec.selector),
      ],
    };
  },
};

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** Up to three `ip:port` endpoints, then `+ N more...`, as upstream's formatEndpoints. */
export function formatEndpoints(ep: KubeObject): string {
  const subsets = list(ep.subsets);
  if (subsets.length === 0) return '<none>';
  const shown: string[] = [];
  let count = 0;
  let more = false;
  for (const ss of subsets) {
    const addresses = list(ss.addresses);
    const ports = list(ss.ports);
    const targets = ports.length === 0 ? [undefined] : ports.map((p) => int(p.port));
    for (const port of targets) {
      count += addresses.length;
      for (const a of addresses) {
        if (shown.length === MAX_SHOWN) {
          more = true;
          break;
        }
        shown.push(port === undefined ? str(a.ip) : hostPort(str(a.ip), port));
      }
    }
  }
  const text = shown.join(',');
  return more ? `${text} + ${count - MAX_SHOWN} more...` : text;
}

export const endpointsPrinter: Printer = {
  columns: [nameColumn(), column('Endpoints', 'string', 'Endpoints of the service.'), ageColumn()],
  print(ep, now) {
    return {
      cells: [
        ep.metadata.name ?? '',
        formatEndpoints(ep),
        timestampSince(ep.metadata.creationTimestamp, now),
      ],
    };
  },
};

function listWithMore(items: string[], total: number): string {
  const shown = items.slice(0, MAX_SHOWN).join(',');
  if (total > MAX_SHOWN) return `${shown} + ${total - MAX_SHOWN} more...`;
  return shown || '<unset>';
}

export const endpointSlicePrinter: Printer = {
  columns: [
    nameColumn(),
    column(
      'AddressType',
      'string',
      'addressType specifies the type of address carried by this EndpointSlice.',
    ),
    column(
      'Ports',
      'string',
      'ports specifies the list of network ports exposed by each endpoint in this slice.',
    ),
    column('Endpoints', 'string', 'endpoints is a list of unique endpoints in this slice.'),
    ageColumn(),
  ],
  print(slice, now) {
    const ports = list(slice.ports).map((p) =>
      typeof p.port === 'number' ? String(p.port) : typeof p.name === 'string' ? p.name : '*',
    );
    const addresses = list(slice.endpoints).flatMap((e) =>
      Array.isArray(e.addresses) ? (e.addresses as unknown[]).map(String) : [],
    );
    return {
      cells: [
        slice.metadata.name ?? '',
        str(slice.addressType),
        listWithMore(ports, ports.length),
        listWithMore(addresses, addresses.length),
        timestampSince(slice.metadata.creationTimestamp, now),
      ],
    };
  },
};
