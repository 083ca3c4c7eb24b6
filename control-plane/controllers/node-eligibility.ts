import type { Node, NodeSelectorRequirement, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { tolerates } from './taints.js';

/** Tolerations the DaemonSet controller adds to its pods, as upstream. */
export const DAEMON_TOLERATIONS: Toleration[] = [
  { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute' },
  { key: 'node.kubernetes.io/disk-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/memory-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/pid-pressure', operator: 'Exists', effect: 'NoSchedule' },
  { key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' },
];

function requirementMatches(r: NodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
      return value !== undefined && Number(value) > Number(values[0]);
    case 'Lt':
      return value !== undefined && Number(value) < Number(values[0]);
    default:
      return false;
  }
}

/**
 * Whether a pod with `spec` may run on `node`: its nodeSelector and required node affinity
 * match, and every NoSchedule/NoExecute taint of the node is tolerated.
 */
export function podFitsNode(
  spec: PodSpec | undefined,
  node: Node,
  extraTolerations: Toleration[] = [],
): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const terms =
    spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms && terms.length > 0) {
    const fields: Record<string, string | undefined> = { 'metadata.name': node.metadata?.name };
    const anyTerm = terms.some(
      (t) =>
        (t.matchExpressions ?? []).every((r) => requirementMatches(r, labels[r.key])) &&
        (t.matchFields ?? []).every((r) => requirementMatches(r, fields[r.key])),
    );
    if (!anyTerm) return false;
  }
  const tolerations = [...(spec?.tolerations ?? []), ...extraTolerations];
  for (const taint of node.spec?.taints ?? []) {
    if (taint.effect === 'PreferNoSchedule') continue;
    if (!tolerations.some((t) => tolerates(t, taint))) return false;
  }
  return true;
}
