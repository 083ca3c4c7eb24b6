import type { Verdict } from './framework.js';

/** Why no node fits: each rejected node's verdict, by node name. */
export interface Diagnosis {
  numAllNodes: number;
  nodeVerdicts: ReadonlyMap<string, Verdict>;
  /** What preemption said, appended as upstream's PostFilterMsg; empty when it found victims. */
  postFilterMessage?: string;
}

/**
 * The upstream FitError text: "0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had
 * untolerated taint {k: v}. preemption: 0/3 nodes are available: 3 Preemption is not helpful
 * for scheduling." Reasons are counted across nodes and sorted as strings, as upstream does.
 */
export function fitErrorMessage(d: Diagnosis): string {
  const counts = new Map<string, number>();
  for (const v of d.nodeVerdicts.values()) {
    for (const r of v.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  const reasons = [...counts].map(([r, n]) => `${n} ${r}`).sort();
  let msg = `0/${d.numAllNodes} nodes are available`;
  msg += reasons.length > 0 ? `: ${reasons.join(', ')}.` : '.';
  if (d.postFilterMessage) msg += ` ${d.postFilterMessage}`;
  return msg;
}
