import type { Pod } from 'kubernetes-types/core/v1.js';
import { type Plugin, SKIP, SUCCESS, unresolvable, type Verdict } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const ERR_NODE_NAME = "node(s) didn't match the requested node name";

/** A pod that names its node fits only there. */
export class NodeName implements Plugin {
  readonly name = 'NodeName';

  /** Nothing to check for a pod without a node name. */
  preFilter(pod: Pod): Verdict {
    return pod.spec?.nodeName ? SUCCESS : SKIP;
  }

  filter(pod: Pod, node: NodeInfo): Verdict {
    const want = pod.spec?.nodeName;
    return !want || want === node.name ? SUCCESS : unresolvable(ERR_NODE_NAME);
  }
}
