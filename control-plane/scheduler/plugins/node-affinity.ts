import type { Pod } from 'kubernetes-types/core/v1.js';
import { podMatchesNodeSelectorAndAffinity, termMatches } from '../../../api/scheduling/node-affinity.js';
import {
  type CycleState,
  defaultNormalize,
  type Plugin,
  SKIP,
  SUCCESS,
  unresolvable,
  type Verdict,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
const REJECTED = Object.freeze(unresolvable(ERR_NODE_AFFINITY)) as Verdict;

/** nodeSelector and required node affinity filter; preferred terms score by the sum of matching weights. */
export class NodeAffinity implements Plugin {
  readonly name = 'NodeAffinity';

  /** Nothing to check for a pod without nodeSelector or required node affinity. */
  preFilter(pod: Pod): Verdict {
    const constrained =
      Object.keys(pod.spec?.nodeSelector ?? {}).length > 0 ||
      !!pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
    return constrained ? SUCCESS : SKIP;
  }

  filter(pod: Pod, node: NodeInfo, state: CycleState): Verdict {
    const unconstrained = state.memo(
      'NodeAffinity/unconstrained',
      () =>
        Object.keys(pod.spec?.nodeSelector ?? {}).length === 0 &&
        !pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
    );
    if (unconstrained) return SUCCESS;
    return podMatchesNodeSelectorAndAffinity(pod, node.node) ? SUCCESS : REJECTED;
  }

  score(pod: Pod, node: NodeInfo): number {
    const preferred = pod.spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution;
    let sum = 0;
    for (const p of preferred ?? []) {
      if (p.weight !== 0 && termMatches(p.preference, node.node)) sum += p.weight;
    }
    return sum;
  }

  normalizeScores(scores: number[]): void {
    defaultNormalize(scores, false);
  }
}
