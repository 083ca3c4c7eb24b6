/** Below this many nodes every node is evaluated. */
export const MIN_FEASIBLE_NODES_TO_FIND = 100;
export const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND = 5;
const DEFAULT_PERCENTAGE = 50;

/**
 * How many feasible nodes to find before scoring, as upstream's numFeasibleNodesToFind: all
 * nodes up to 100; else `percentage` of them (adaptive 50% - nodes/125, at least 5%), at least 100.
 */
export function numFeasibleNodesToFind(numAllNodes: number, percentage = 0): number {
  if (numAllNodes < MIN_FEASIBLE_NODES_TO_FIND || percentage >= 100) return numAllNodes;
  let pct = percentage;
  if (pct <= 0) {
    pct = DEFAULT_PERCENTAGE - Math.floor(numAllNodes / 125);
    if (pct < MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND) pct = MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND;
  }
  const n = Math.floor((numAllNodes * pct) / 100);
  return Math.max(n, MIN_FEASIBLE_NODES_TO_FIND);
}
