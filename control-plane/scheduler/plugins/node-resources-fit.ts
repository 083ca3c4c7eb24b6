import type { Pod } from 'kubernetes-types/core/v1.js';
import { insufficientResources, podRequests, type Resources } from '../../../api/scheduling/resource-fit.js';
import {
  type CycleState,
  MAX_NODE_SCORE,
  type Plugin,
  SUCCESS,
  unschedulable,
  type Verdict,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export function requestsOf(pod: Pod, state: CycleState): Resources {
  return state.memo('requests', () => podRequests(pod.spec));
}

export function nonZeroRequestsOf(pod: Pod, state: CycleState): Resources {
  return state.memo('requests/nonzero', () => podRequests(pod.spec, true));
}

function noScalar(r: Resources): boolean {
  for (const _ in r.scalar) return false;
  return true;
}

function leastAllocated(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return ((capacity - requested) * MAX_NODE_SCORE) / capacity;
}

/**
 * Filters nodes whose allocatable (cpu, memory, ephemeral-storage, extended resources, pod
 * count) cannot hold the pod beside the pods counted there; scores with the LeastAllocated
 * strategy on cpu and memory (weight 1 each), as upstream's default.
 */
export class NodeResourcesFit implements Plugin {
  readonly name = 'NodeResourcesFit';

  filter(pod: Pod, node: NodeInfo, state: CycleState): Verdict {
    const want = requestsOf(pod, state);
    const a = node.allocatable;
    const used = node.requested;
    // The common case, decided without building the list of shortfalls.
    if (
      node.pods.size + 1 <= node.allowedPods &&
      want.milliCPU <= a.milliCPU - used.milliCPU &&
      want.memory <= a.memory - used.memory &&
      want.ephemeralStorage <= a.ephemeralStorage - used.ephemeralStorage &&
      noScalar(want)
    )
      return SUCCESS;
    const missing = insufficientResources(
      want,
      node.allocatable,
      node.allowedPods,
      node.requested,
      node.pods.size,
    );
    return missing.length === 0 ? SUCCESS : unschedulable(...missing.map((m) => m.reason));
  }

  score(pod: Pod, node: NodeInfo, state: CycleState): number {
    const want = nonZeroRequestsOf(pod, state);
    const cpu = leastAllocated(node.nonZeroRequested.milliCPU + want.milliCPU, node.allocatable.milliCPU);
    const mem = leastAllocated(node.nonZeroRequested.memory + want.memory, node.allocatable.memory);
    return Math.floor((cpu + mem) / 2);
  }
}
