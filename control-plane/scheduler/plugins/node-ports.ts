import type { Pod } from 'kubernetes-types/core/v1.js';
import { type CycleState, type Plugin, SKIP, SUCCESS, unschedulable, type Verdict } from '../framework.js';
import { type NodeInfo, podHostPorts } from '../node-info.js';

export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";

/** A host port (protocol, address, port) can be held by one pod per node. */
export class NodePorts implements Plugin {
  readonly name = 'NodePorts';

  /** Nothing to check for a pod without host ports. */
  preFilter(pod: Pod): Verdict {
    return podHostPorts(pod).length > 0 ? SUCCESS : SKIP;
  }

  filter(pod: Pod, node: NodeInfo, state: CycleState): Verdict {
    const wanted = state.memo('NodePorts/wanted', () => podHostPorts(pod));
    for (const p of wanted) if (node.portConflicts(p)) return unschedulable(ERR_NODE_PORTS);
    return SUCCESS;
  }
}
