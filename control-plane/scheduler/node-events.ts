import type { Node } from 'kubernetes-types/core/v1.js';

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/**
 * Whether a node update can make a pending pod fit, as upstream's node scheduling-property
 * check: cordoning, allocatable, labels, taints or conditions (ignoring heartbeat times).
 * Heartbeat-only status updates must not wake every unschedulable pod.
 */
export function nodeSchedulingPropertiesChanged(oldNode: Node, newNode: Node): boolean {
  const conditions = (n: Node) => (n.status?.conditions ?? []).map((c) => [c.type, c.status]);
  return (
    !!oldNode.spec?.unschedulable !== !!newNode.spec?.unschedulable ||
    !same(oldNode.status?.allocatable, newNode.status?.allocatable) ||
    !same(oldNode.metadata?.labels, newNode.metadata?.labels) ||
    !same(oldNode.spec?.taints, newNode.spec?.taints) ||
    !same(conditions(oldNode), conditions(newNode))
  );
}
