import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { compareStrings } from '../../../api/compare-strings.js';
import { forbidden, isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import type { ResourceStore } from './resource-store.js';

/** The PriorityClasses every cluster has, as kube-apiserver creates them at start. */
export const SYSTEM_PRIORITY_CLASSES: { name: string; value: number; description: string }[] = [
  {
    name: 'system-node-critical',
    value: 2_000_001_000,
    description: 'Used for system critical pods that must not be moved from their current node.',
  },
  {
    name: 'system-cluster-critical',
    value: 2_000_000_000,
    description:
      'Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.',
  },
];

/**
 * Upstream's Priority admission on pod create: the pod's class (or the cluster's globalDefault
 * one) gives spec.priority and spec.preemptionPolicy; an unknown class, or a priority that does
 * not match its class, is refused.
 */
export async function admitPodPriority(obj: KubeObject, classes: ResourceStore): Promise<void> {
  const pod = obj as unknown as Pod;
  const spec = pod.spec as (Pod['spec'] & { priority?: number; preemptionPolicy?: string }) | undefined;
  if (!spec || typeof spec !== 'object') return;
  const name = `pods "${obj.metadata.name ?? obj.metadata.generateName ?? ''}"`;
  let pc: PriorityClass | undefined;
  if (spec.priorityClassName) {
    try {
      // From the watch cache (as upstream's lister); a miss may be cache lag, so it is confirmed.
      pc = (await classes.get('', spec.priorityClassName, '0').catch((e: unknown) => {
        if (isStatusError(e, 'NotFound')) return classes.get('', spec.priorityClassName ?? '');
        throw e;
      })) as unknown as PriorityClass;
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
      throw forbidden(`${name} is forbidden: no PriorityClass with name ${spec.priorityClassName} was found`);
    }
  } else {
    const all = (await classes.list('', { resourceVersion: '0' })).items as unknown as PriorityClass[];
    pc = all
      .filter((c) => c.globalDefault)
      .sort(
        (a, b) =>
          a.value - b.value ||
          compareStrings(a.metadata?.creationTimestamp ?? '', b.metadata?.creationTimestamp ?? ''),
      )[0];
    if (pc) spec.priorityClassName = pc.metadata?.name;
  }
  const priority = pc?.value ?? 0;
  const policy = pc?.preemptionPolicy ?? 'PreemptLowerPriority';
  if (spec.priority !== undefined && spec.priority !== priority)
    throw forbidden(
      `${name} is forbidden: the integer value of priority (${spec.priority}) must not be provided in pod spec; priority admission controller computed ${priority} from the given PriorityClass name`,
    );
  if (spec.preemptionPolicy !== undefined && spec.preemptionPolicy !== policy)
    throw forbidden(
      `${name} is forbidden: the string value of PreemptionPolicy (${spec.preemptionPolicy}) must not be provided in pod spec; priority admission controller computed ${policy} from the given PriorityClass name`,
    );
  spec.priority = priority;
  spec.preemptionPolicy = policy as 'PreemptLowerPriority' | 'Never';
}
