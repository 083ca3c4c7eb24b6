import type { Pod, Taint } from 'kubernetes-types/core/v1.js';
import { findUntoleratedTaint, isSchedulingTaint, taintTolerated } from '../../../api/scheduling/taints.js';
import {
  type CycleState,
  defaultNormalize,
  type Plugin,
  SUCCESS,
  unresolvable,
  type Verdict,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';

export function untoleratedTaintMessage(t: Taint): string {
  return `node(s) had untolerated taint {${t.key}: ${t.value ?? ''}}`;
}

/** NoSchedule/NoExecute taints must be tolerated; fewer untolerated PreferNoSchedule taints score higher. */
export class TaintToleration implements Plugin {
  readonly name = 'TaintToleration';

  filter(pod: Pod, node: NodeInfo): Verdict {
    const taint = findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, isSchedulingTaint);
    return taint ? unresolvable(untoleratedTaintMessage(taint)) : SUCCESS;
  }

  score(pod: Pod, node: NodeInfo, state: CycleState): number {
    // Only tolerations that apply to PreferNoSchedule count here, as upstream.
    const tolerations = state.memo('TaintToleration/prefer', () =>
      (pod.spec?.tolerations ?? []).filter((t) => !t.effect || t.effect === 'PreferNoSchedule'),
    );
    let n = 0;
    for (const t of node.node.spec?.taints ?? []) {
      if (t.effect === 'PreferNoSchedule' && !taintTolerated(t, tolerations)) n++;
    }
    return n;
  }

  normalizeScores(scores: number[]): void {
    defaultNormalize(scores, true);
  }
}
