import type { Pod } from 'kubernetes-types/core/v1.js';
import { type CycleState, MAX_NODE_SCORE, type Plugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { requestsOf } from './node-resources-fit.js';

function fraction(requested: number, capacity: number): number {
  if (capacity <= 0) return 1;
  return Math.min(1, requested / capacity);
}

/** Prefers nodes whose cpu and memory would be used in equal proportion: (1 - std deviation) * 100. */
export class NodeResourcesBalancedAllocation implements Plugin {
  readonly name = 'NodeResourcesBalancedAllocation';

  score(pod: Pod, node: NodeInfo, state: CycleState): number {
    const want = requestsOf(pod, state);
    const cpu = fraction(node.requested.milliCPU + want.milliCPU, node.allocatable.milliCPU);
    const mem = fraction(node.requested.memory + want.memory, node.allocatable.memory);
    // With two resources the standard deviation is half their difference.
    const std = Math.abs(cpu - mem) / 2;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  }
}
