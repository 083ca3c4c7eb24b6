import type { Node, PodSpec, Taint, Toleration } from 'kubernetes-types/core/v1.js';
import { podMatchesNodeSelectorAndAffinity } from '../../api/scheduling/node-affinity.js';
import { tolerates } from './taints.js';

/** Tolerations the DaemonSet controller adds to every daemon pod, as upstream. */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

/** Added only to host-network daemon pods: they need no pod network to run. */
export const NETWORK_UNAVAILABLE_TOLERATION: Toleration = {
  key: 'node.kubernetes.io/network-unavailable',
  operator: 'Exists',
  effect: 'NoSchedule',
};

/** The pod's tolerations plus the daemon ones it lacks (same key and effect), as upstream's AddOrUpdateDaemonPodTolerations. */
export function withDaemonTolerations(spec: PodSpec | undefined): Toleration[] {
  const out = [...(spec?.tolerations ?? [])];
  const extra = spec?.hostNetwork
    ? [...DAEMON_TOLERATIONS, NETWORK_UNAVAILABLE_TOLERATION]
    : DAEMON_TOLERATIONS;
  for (const t of extra) {
    if (!out.some((x) => x.key === t.key && x.effect === t.effect)) out.push(t);
  }
  return out;
}

function untolerated(
  taints: readonly Taint[],
  tolerations: readonly Toleration[],
  effects: string[],
): boolean {
  return taints.some(
    (taint) => effects.includes(taint.effect) && !tolerations.some((t) => tolerates(t, taint)),
  );
}

function placementFits(spec: PodSpec | undefined, node: Node): boolean {
  if (spec?.nodeName && spec.nodeName !== node.metadata?.name) return false;
  return podMatchesNodeSelectorAndAffinity({ spec: spec ?? { containers: [] } }, node);
}

/**
 * Whether a pod with `spec` may run on `node`: its nodeName, nodeSelector and required node
 * affinity match, and every NoSchedule/NoExecute taint of the node is tolerated.
 */
export function podFitsNode(
  spec: PodSpec | undefined,
  node: Node,
  extraTolerations: Toleration[] = [],
): boolean {
  if (!placementFits(spec, node)) return false;
  const tolerations = [...(spec?.tolerations ?? []), ...extraTolerations];
  return !untolerated(node.spec?.taints ?? [], tolerations, ['NoSchedule', 'NoExecute']);
}

/**
 * Upstream's NodeShouldRunDaemonPod for a DaemonSet's pod template (daemon tolerations added):
 * `shouldRun` — a daemon pod belongs on the node; `shouldContinueRunning` — an existing one may
 * stay (an untolerated NoSchedule taint keeps new pods off but does not remove running ones).
 */
export function daemonPlacement(
  template: PodSpec | undefined,
  node: Node,
): { shouldRun: boolean; shouldContinueRunning: boolean } {
  if (!placementFits(template, node)) return { shouldRun: false, shouldContinueRunning: false };
  const tolerations = withDaemonTolerations(template);
  const taints = node.spec?.taints ?? [];
  return {
    shouldRun: !untolerated(taints, tolerations, ['NoSchedule', 'NoExecute']),
    shouldContinueRunning: !untolerated(taints, tolerations, ['NoExecute']),
  };
}
