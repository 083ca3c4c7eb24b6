import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';

/** Upstream's built-in classes, which exist even when no object of that name is stored. */
export const SYSTEM_PRIORITY_CLASSES: Readonly<Record<string, number>> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};

export interface PriorityClassLookup {
  get(name: string): PriorityClass | undefined;
  list(): PriorityClass[];
}

/**
 * The pod's priority for queue order and preemption. The API server here does not run
 * upstream's Priority admission for named classes, so spec.priority may be unset: then the
 * named PriorityClass's value counts, else the globalDefault class's, else 0.
 */
export function resolvePriority(pod: Pod, classes: PriorityClassLookup): number {
  if (pod.spec?.priority !== undefined && pod.spec.priority !== null) return pod.spec.priority;
  const name = pod.spec?.priorityClassName;
  if (name) {
    const pc = classes.get(name);
    if (pc) return pc.value;
    if (name in SYSTEM_PRIORITY_CLASSES) return SYSTEM_PRIORITY_CLASSES[name];
    return 0;
  }
  return globalDefault(classes)?.value ?? 0;
}

/** spec.preemptionPolicy, else the pod's class's, else PreemptLowerPriority. */
export function resolvePreemptionPolicy(pod: Pod, classes: PriorityClassLookup): string {
  if (pod.spec?.preemptionPolicy) return pod.spec.preemptionPolicy;
  const name = pod.spec?.priorityClassName;
  const pc = name ? classes.get(name) : globalDefault(classes);
  return pc?.preemptionPolicy ?? 'PreemptLowerPriority';
}

function globalDefault(classes: PriorityClassLookup): PriorityClass | undefined {
  let best: PriorityClass | undefined;
  for (const pc of classes.list()) if (pc.globalDefault && (!best || pc.value > best.value)) best = pc;
  return best;
}
