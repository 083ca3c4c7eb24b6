import type { Service } from 'kubernetes-types/core/v1.js';

/** Services whose variables every pod gets, from the default namespace, whatever enableServiceLinks says. */
const MASTER_SERVICES = new Set(['kubernetes']);

const envName = (s: string) => s.replaceAll('-', '_').toUpperCase();

function hasClusterIP(s: Service): boolean {
  const ip = s.spec?.clusterIP;
  return !!ip && ip !== 'None';
}

function hostPort(ip: string, port: number): string {
  return ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`;
}

/** The variables of one Service: `<NAME>_SERVICE_HOST/_PORT[_<PORT NAME>]` and the Docker-link style `<NAME>_PORT*`. */
function variablesOf(s: Service): [string, string][] {
  const ip = s.spec?.clusterIP ?? '';
  const ports = s.spec?.ports ?? [];
  const prefix = envName(s.metadata?.name ?? '');
  const out: [string, string][] = [[`${prefix}_SERVICE_HOST`, ip]];
  const first = ports[0];
  if (first) out.push([`${prefix}_SERVICE_PORT`, String(first.port)]);
  for (const p of ports) if (p.name) out.push([`${prefix}_SERVICE_PORT_${envName(p.name)}`, String(p.port)]);
  ports.forEach((p, i) => {
    const proto = p.protocol || 'TCP';
    const url = `${proto.toLowerCase()}://${hostPort(ip, p.port)}`;
    if (i === 0) out.push([`${prefix}_PORT`, url]);
    const pp = `${prefix}_PORT_${p.port}_${proto.toUpperCase()}`;
    out.push(
      [pp, url],
      [`${pp}_PROTO`, proto.toLowerCase()],
      [`${pp}_PORT`, String(p.port)],
      [`${pp}_ADDR`, ip],
    );
  });
  return out;
}

/**
 * The service environment of a pod in `namespace` as the kubelet makes it: the `kubernetes`
 * Service of the default namespace always, the other Services of the pod's namespace when
 * enableServiceLinks is on (the default); Services without a cluster IP are left out.
 */
export function serviceEnv(
  services: Service[],
  namespace: string,
  enableServiceLinks: boolean,
): Map<string, string> {
  const chosen = new Map<string, Service>();
  for (const s of services) {
    if (!hasClusterIP(s)) continue;
    const name = s.metadata?.name ?? '';
    const ns = s.metadata?.namespace ?? '';
    if (ns === 'default' && MASTER_SERVICES.has(name)) {
      if (!chosen.has(name)) chosen.set(name, s);
    } else if (ns === namespace && enableServiceLinks) chosen.set(name, s);
  }
  const env = new Map<string, string>();
  for (const s of [...chosen.values()].sort((a, b) =>
    (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1,
  ))
    for (const [k, v] of variablesOf(s)) env.set(k, v);
  return env;
}
