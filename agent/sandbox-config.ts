import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NamespaceOption, PodSandboxConfig } from '../shim/index.js';
import { POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from './labels.js';

export interface SandboxSettings {
  /** Container logs go under `<podLogsDir>/<ns>_<name>_<uid>/`. */
  podLogsDir: string;
  /** Pod cgroups go under `<cgroupRoot>/pod<uid>` (cgroupfs driver). */
  cgroupRoot: string;
}

// Pod networking (CNI) is the next slice: every sandbox shares the node's network namespace
// for now, and the pod reports the node's IP as its podIP.
export const HOST_NAMESPACES: NamespaceOption = { network: 'NODE', pid: 'CONTAINER', ipc: 'POD' };

export function podLogDirectory(podLogsDir: string, pod: Pod, uid: string): string {
  const m = pod.metadata ?? {};
  return join(podLogsDir, `${m.namespace ?? 'default'}_${m.name ?? ''}_${uid}`);
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
  return {
    metadata: { name, namespace, uid, attempt },
    logDirectory: podLogDirectory(s.podLogsDir, pod, uid),
    labels: {
      ...m.labels,
      [POD_NAME_LABEL]: name,
      [POD_NAMESPACE_LABEL]: namespace,
      [POD_UID_LABEL]: uid,
    },
    annotations: { ...m.annotations },
    linux: {
      cgroupParent: `${s.cgroupRoot}/pod${uid}`,
      securityContext: { namespaceOptions: { ...HOST_NAMESPACES } },
    },
  };
}
