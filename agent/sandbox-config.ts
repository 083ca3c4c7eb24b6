import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NamespaceOption, PodSandboxConfig, PortMapping, Protocol } from '../shim/index.js';
import type { CgroupLayout } from './cgroup-layout.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from './labels.js';
import { type PodDnsSettings, podDnsConfig, podHostnameAndDomain } from './pod-dns.js';

export interface SandboxSettings {
  /** Container logs go under `<podLogsDir>/<ns>_<name>_<uid>/`. */
  podLogsDir: string;
  /** Where pod cgroups go (per `--cgroup-driver`). */
  cgroups: CgroupLayout;
  /** Cluster DNS, cluster domain and the host's resolver config. Without: no DNS config, so the runtime copies the host's resolv.conf. */
  dns?: PodDnsSettings;
}

/** Namespaces of a hostNetwork pod: the node's network (and so its UTS) namespace. */
export const HOST_NAMESPACES: NamespaceOption = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };
/** Namespaces of a pod on the pod network: its own network namespace, set up by CNI. */
export const POD_NAMESPACES: NamespaceOption = { network: 'POD', pid: 'CONTAINER', ipc: 'POD' };

export function podLogDirectory(podLogsDir: string, pod: Pod, uid: string): string {
  const m = pod.metadata ?? {};
  return join(podLogsDir, `${m.namespace ?? 'default'}_${m.name ?? ''}_${uid}`);
}

/** The namespaces a pod's sandbox and containers get. */
export function podNamespaces(pod: Pod): NamespaceOption {
  return pod.spec?.hostNetwork ? { ...HOST_NAMESPACES } : { ...POD_NAMESPACES };
}

export const DEFAULT_CLUSTER_DOMAIN = 'cluster.local';

const PROTOCOLS: readonly string[] = ['TCP', 'UDP', 'SCTP'];

/** hostPort mappings of the app containers, for the runtime's portmap plugin (hostPort 0 = none). */
export function podPortMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  const seen = new Set<string>();
  for (const c of pod.spec?.containers ?? [])
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      const protocol = (PROTOCOLS.includes(p.protocol ?? 'TCP') ? (p.protocol ?? 'TCP') : 'TCP') as Protocol;
      const key = `${protocol}/${p.hostIP ?? ''}:${p.hostPort}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push({ protocol, containerPort: p.containerPort, hostPort: p.hostPort, hostIp: p.hostIP ?? '' });
    }
  return out;
}

/** The CRI sandbox of `pod` (attempt = how many sandboxes it had before). */
export function buildSandboxConfig(
  pod: Pod,
  uid: string,
  attempt: number,
  s: SandboxSettings,
): PodSandboxConfig {
  const m = pod.metadata ?? {};
  const name = m.name ?? '';
  const namespace = m.namespace ?? 'default';
  const dns = s.dns;
  const hostNetwork = pod.spec?.hostNetwork === true;
  return {
    metadata: { name, namespace, uid, attempt },
    // A host-network sandbox has no UTS namespace of its own: setting a hostname fails there.
    ...(hostNetwork
      ? {}
      : { hostname: podHostnameAndDomain(pod, dns?.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN).kernelHostname }),
    logDirectory: podLogDirectory(s.podLogsDir, pod, uid),
    ...(dns ? { dnsConfig: podDnsConfig(pod, dns) } : {}),
    portMappings: podPortMappings(pod),
    labels: {
      ...m.labels,
      [POD_NAME_LABEL]: name,
      [POD_NAMESPACE_LABEL]: namespace,
      [POD_UID_LABEL]: uid,
    },
    annotations: { ...m.annotations },
    linux: {
      cgroupParent: s.cgroups.podParent(pod, uid),
      securityContext: { namespaceOptions: podNamespaces(pod) },
    },
  };
}
