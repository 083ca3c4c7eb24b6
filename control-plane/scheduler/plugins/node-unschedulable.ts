import type { Pod } from 'kubernetes-types/core/v1.js';
import { taintTolerated } from '../../../api/scheduling/taints.js';
import { type Plugin, SUCCESS, unresolvable, type Verdict } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
const UNSCHEDULABLE_TAINT = { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' };

/** A cordoned node (spec.unschedulable) takes only pods that tolerate the unschedulable taint. */
export class NodeUnschedulable implements Plugin {
  readonly name = 'NodeUnschedulable';

  filter(pod: Pod, node: NodeInfo): Verdict {
    if (!node.node.spec?.unschedulable) return SUCCESS;
    return taintTolerated(UNSCHEDULABLE_TAINT, pod.spec?.tolerations)
      ? SUCCESS
      : unresolvable(ERR_UNSCHEDULABLE);
  }
}
