import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromObject } from '../../api/labels.js';
import { keyOf } from '../../api/object.js';
import type { CycleState, Plugin, Verdict } from './framework.js';
import type { NodeInfo } from './node-info.js';

export const NOT_HELPFUL = 'Preemption is not helpful for scheduling';
export const NO_VICTIMS = 'No preemption victims found for incoming pod';
export const NOT_ELIGIBLE_NEVER = 'not eligible due to preemptionPolicy=Never.';
export const NOT_ELIGIBLE_TERMINATING = 'not eligible due to a terminating pod on the nominated node.';

/** At least this many nodes (or 10% of them) are dry-run before picking, as upstream. */
const MIN_CANDIDATES_ABSOLUTE = 100;
const MIN_CANDIDATES_PERCENTAGE = 10;

export interface PreemptionPlan {
  node: string;
  /** Pods to delete, highest priority first. */
  victims: Pod[];
}

export interface PreemptionResult {
  plan?: PreemptionPlan;
  /** Why preemption does not help (appended to the FailedScheduling message); empty with a plan. */
  message: string;
}

export interface PreemptionInput {
  pod: Pod;
  /** The attempt's state after the pre-filters. */
  state: CycleState;
  nodes: readonly NodeInfo[];
  /** Each node's filter verdict from the failed attempt. */
  verdicts: ReadonlyMap<string, Verdict>;
  /** The scheduler's filters (nominated pods included) on a what-if node and state. */
  filter: (pod: Pod, node: NodeInfo, state: CycleState) => Verdict;
  /** Plugins that keep pre-filter state and must see victims leave. */
  plugins: readonly Plugin[];
  priorityOf: (pod: Pod) => number;
  /** The preemption policy: spec.preemptionPolicy, else the PriorityClass's. */
  preemptionPolicyOf: (pod: Pod) => string;
  /** PodDisruptionBudgets in a namespace (none when omitted). */
  budgetsIn?: (namespace: string) => readonly PodDisruptionBudget[];
}

function startTime(pod: Pod): number {
  const t = Date.parse(pod.status?.startTime ?? pod.metadata?.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

interface Candidate {
  node: string;
  victims: Pod[];
  /** Victims whose eviction breaks a PodDisruptionBudget. */
  violating: number;
}

/**
 * Splits pods (most important first) into those whose eviction would break a budget and the
 * rest, counting down each budget's disruptionsAllowed as upstream's filterPodsWithPDBViolation.
 */
function splitByBudget(
  pods: Pod[],
  budgetsIn: ((ns: string) => readonly PodDisruptionBudget[]) | undefined,
): { violating: Pod[]; other: Pod[] } {
  if (!budgetsIn) return { violating: [], other: pods };
  const allowed = new Map<PodDisruptionBudget, number>();
  const violating: Pod[] = [];
  const other: Pod[] = [];
  for (const pod of pods) {
    let breaks = false;
    for (const pdb of budgetsIn(pod.metadata?.namespace ?? 'default')) {
      const sel = pdb.spec?.selector;
      if (!sel || (!sel.matchLabels && !(sel.matchExpressions?.length ?? 0))) continue;
      let matches = false;
      try {
        matches = labelSelectorFromObject(sel).matches(pod.metadata?.labels);
      } catch {
        matches = false;
      }
      if (!matches) continue;
      // A pod the budget already counts as disrupted costs nothing more.
      if (pdb.status?.disruptedPods?.[pod.metadata?.name ?? '']) continue;
      const left = (allowed.get(pdb) ?? pdb.status?.disruptionsAllowed ?? 0) - 1;
      allowed.set(pdb, left);
      if (left < 0) breaks = true;
    }
    (breaks ? violating : other).push(pod);
  }
  return { violating, other };
}

/**
 * Upstream's DefaultPreemption, simplified: on each node where filters failed for a reason that
 * removing pods can fix, remove every lower-priority pod; if the pod then fits, give back as
 * many of them as still lets it fit (highest priority first). Of the nodes that work, pick the
 * one breaking the fewest PodDisruptionBudgets (status.disruptionsAllowed), then whose most
 * important victim is least important, then the lowest priority sum, the fewest victims, the
 * latest start.
 */
export function findPreemption(input: PreemptionInput): PreemptionResult {
  const { pod, nodes, verdicts } = input;
  if (input.preemptionPolicyOf(pod) === 'Never') return { message: NOT_ELIGIBLE_NEVER };
  const priority = input.priorityOf(pod);
  const nominated = pod.status?.nominatedNodeName;
  if (nominated) {
    const info = nodes.find((n) => n.name === nominated);
    for (const e of info?.pods.values() ?? []) {
      if (e.pod.metadata?.deletionTimestamp && input.priorityOf(e.pod) < priority)
        return { message: NOT_ELIGIBLE_TERMINATING };
    }
  }
  const reasons = new Map<string, string[]>();
  const candidates: Candidate[] = [];
  const want = Math.min(
    nodes.length,
    Math.max(MIN_CANDIDATES_ABSOLUTE, Math.floor((nodes.length * MIN_CANDIDATES_PERCENTAGE) / 100)),
  );
  for (const node of nodes) {
    const v = verdicts.get(node.name);
    if (!v || v.code === 'UnschedulableAndUnresolvable') {
      reasons.set(node.name, [NOT_HELPFUL]);
      continue;
    }
    if (candidates.length >= want) continue;
    const r = selectVictims(input, priority, node);
    if ('reasons' in r) reasons.set(node.name, r.reasons);
    else candidates.push({ node: node.name, victims: r.victims, violating: r.violating });
  }
  if (candidates.length === 0) {
    const counts = new Map<string, number>();
    for (const rs of reasons.values()) for (const r of rs) counts.set(r, (counts.get(r) ?? 0) + 1);
    const list = [...counts].map(([r, n]) => `${n} ${r}`).sort();
    return {
      message: `preemption: 0/${nodes.length} nodes are available: ${list.join(', ')}.`,
    };
  }
  return { plan: pickOne(candidates, input.priorityOf), message: '' };
}

function selectVictims(
  input: PreemptionInput,
  priority: number,
  node: NodeInfo,
): { victims: Pod[]; violating: number } | { reasons: string[] } {
  const { pod } = input;
  const potential = [...node.pods.values()]
    .map((e) => e.pod)
    .filter((p) => input.priorityOf(p) < priority)
    .sort((a, b) => input.priorityOf(b) - input.priorityOf(a) || startTime(a) - startTime(b));
  if (potential.length === 0) return { reasons: [NO_VICTIMS] };
  const info = node.clone();
  const state = input.state.clone();
  const remove = (p: Pod): void => {
    info.removePod(keyOf(p));
    for (const pl of input.plugins) pl.removePod?.(state, pod, p, info);
  };
  const add = (p: Pod): void => {
    info.addPod(p);
    for (const pl of input.plugins) pl.addPod?.(state, pod, p, info);
  };
  for (const p of potential) remove(p);
  const fits = input.filter(pod, info, state);
  if (fits.code !== 'Success') return { reasons: fits.reasons };
  const victims: Pod[] = [];
  // Give back budget-protected pods first, so that evictions breaking a budget are a last resort.
  const reprieve = (p: Pod): boolean => {
    add(p);
    if (input.filter(pod, info, state).code === 'Success') return true;
    remove(p);
    victims.push(p);
    return false;
  };
  const { violating, other } = splitByBudget(potential, input.budgetsIn);
  let violated = 0;
  for (const p of violating) if (!reprieve(p)) violated++;
  for (const p of other) reprieve(p);
  victims.sort((a, b) => input.priorityOf(b) - input.priorityOf(a) || startTime(a) - startTime(b));
  return { victims, violating: violated };
}

function pickOne(candidates: Candidate[], priorityOf: (p: Pod) => number): PreemptionPlan {
  const highest = (c: Candidate) => (c.victims.length ? priorityOf(c.victims[0]) : Number.NEGATIVE_INFINITY);
  // Offsetting by 2^31 keeps negative priorities from making more victims look cheaper.
  const sum = (c: Candidate) => c.victims.reduce((s, p) => s + priorityOf(p) + 2 ** 31, 0);
  const earliestTop = (c: Candidate) => {
    const top = highest(c);
    let t = Number.POSITIVE_INFINITY;
    for (const p of c.victims) if (priorityOf(p) === top) t = Math.min(t, startTime(p));
    return t;
  };
  let best = candidates[0];
  for (const c of candidates.slice(1)) {
    const order =
      c.violating - best.violating ||
      highest(c) - highest(best) ||
      sum(c) - sum(best) ||
      c.victims.length - best.victims.length ||
      earliestTop(best) - earliestTop(c);
    if (order < 0) best = c;
  }
  return { node: best.node, victims: best.victims };
}
