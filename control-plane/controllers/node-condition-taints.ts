import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { NOT_READY_TAINT, UNREACHABLE_TAINT } from './taints.js';

export const MEMORY_PRESSURE_TAINT = 'node.kubernetes.io/memory-pressure';
export const DISK_PRESSURE_TAINT = 'node.kubernetes.io/disk-pressure';
export const PID_PRESSURE_TAINT = 'node.kubernetes.io/pid-pressure';
export const NETWORK_UNAVAILABLE_TAINT = 'node.kubernetes.io/network-unavailable';
export const UNSCHEDULABLE_TAINT = 'node.kubernetes.io/unschedulable';

/** Condition type -> status -> taint key, as upstream's nodeConditionToTaintKeyStatusMap. */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: NOT_READY_TAINT, Unknown: UNREACHABLE_TAINT },
  MemoryPressure: { True: MEMORY_PRESSURE_TAINT },
  DiskPressure: { True: DISK_PRESSURE_TAINT },
  PIDPressure: { True: PID_PRESSURE_TAINT },
  NetworkUnavailable: { True: NETWORK_UNAVAILABLE_TAINT },
};

/** Keys of the NoSchedule taints TaintNodesByCondition owns; the controller adds and removes only these. */
export const CONDITION_TAINT_KEYS: ReadonlySet<string> = new Set([
  ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m)),
  UNSCHEDULABLE_TAINT,
]);

/** Whether `t` is one of the NoSchedule taints that follow node conditions. */
export function isConditionTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' && CONDITION_TAINT_KEYS.has(t.key);
}

/**
 * The NoSchedule taint keys the node should carry now (upstream's TaintNodesByCondition):
 * one per condition in a tainting status, plus unschedulable for a cordoned node.
 */
export function conditionTaintKeys(node: Node): string[] {
  const keys: string[] = [];
  for (const c of node.status?.conditions ?? []) {
    const byStatus = Object.hasOwn(CONDITION_TAINTS, c.type) ? CONDITION_TAINTS[c.type] : undefined;
    const key = byStatus && Object.hasOwn(byStatus, c.status) ? byStatus[c.status] : undefined;
    if (key && !keys.includes(key)) keys.push(key);
  }
  if (node.spec?.unschedulable) keys.push(UNSCHEDULABLE_TAINT);
  return keys;
}
