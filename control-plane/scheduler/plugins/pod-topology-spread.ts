import type { Pod, TopologySpreadConstraint } from 'kubernetes-types/core/v1.js';
import type { LabelSelectorRequirement } from 'kubernetes-types/meta/v1.js';
import { type LabelMatcher, labelSelectorFromObject, NOTHING } from '../../../api/labels.js';
import { podMatchesNodeSelectorAndAffinity } from '../../../api/scheduling/node-affinity.js';
import { findUntoleratedTaint, isSchedulingTaint } from '../../../api/scheduling/taints.js';
import {
  type CycleState,
  type Handle,
  MAX_NODE_SCORE,
  type Plugin,
  SKIP,
  SUCCESS,
  unresolvable,
  unschedulable,
  type Verdict,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import { AggregateCache, OverlayCounts, TopologyAggregate } from '../topology-counts.js';

export const ERR_SPREAD = "node(s) didn't match pod topology spread constraints";
export const ERR_SPREAD_LABEL = `${ERR_SPREAD} (missing required label)`;
const SKEWED = Object.freeze(unschedulable(ERR_SPREAD)) as Verdict;
const MISSING_LABEL = Object.freeze(unresolvable(ERR_SPREAD_LABEL)) as Verdict;

export const HOSTNAME_LABEL = 'kubernetes.io/hostname';
export const ZONE_LABEL = 'topology.kubernetes.io/zone';

/** Upstream's system default constraints, for pods without their own (ScheduleAnyway only). */
export const SYSTEM_DEFAULT_CONSTRAINTS: readonly { topologyKey: string; maxSkew: number }[] = [
  { topologyKey: HOSTNAME_LABEL, maxSkew: 3 },
  { topologyKey: ZONE_LABEL, maxSkew: 5 },
];

const FILTER_STATE = 'PodTopologySpread/filter';
const SCORE_STATE = 'PodTopologySpread/score';

/** A constraint with its selector parsed and upstream's defaults applied. */
export interface Constraint {
  maxSkew: number;
  topologyKey: string;
  selector: LabelMatcher;
  /** Namespace and selector: the key of per-node match counts. */
  countKey: string;
  minDomains: number;
  honorNodeAffinity: boolean;
  honorNodeTaints: boolean;
}

function compile(pod: Pod, c: TopologySpreadConstraint): Constraint {
  const labels = pod.metadata?.labels ?? {};
  const extra: LabelSelectorRequirement[] = [];
  // matchLabelKeys: the pod's own values of those keys narrow the selector.
  for (const key of c.matchLabelKeys ?? []) {
    if (Object.hasOwn(labels, key)) extra.push({ key, operator: 'In', values: [labels[key]] });
  }
  let selector: LabelMatcher = NOTHING;
  if (c.labelSelector) {
    try {
      selector = labelSelectorFromObject({
        matchLabels: c.labelSelector.matchLabels,
        matchExpressions: [...(c.labelSelector.matchExpressions ?? []), ...extra],
      });
    } catch {
      selector = NOTHING;
    }
  }
  return constraintOf(pod, c.topologyKey, c.maxSkew, selector, {
    minDomains: c.minDomains ?? 1,
    honorNodeAffinity: (c.nodeAffinityPolicy ?? 'Honor') === 'Honor',
    honorNodeTaints: c.nodeTaintsPolicy === 'Honor',
  });
}

function constraintOf(
  pod: Pod,
  topologyKey: string,
  maxSkew: number,
  selector: LabelMatcher,
  opts: { minDomains: number; honorNodeAffinity: boolean; honorNodeTaints: boolean },
): Constraint {
  const ns = pod.metadata?.namespace ?? 'default';
  return {
    maxSkew,
    topologyKey,
    selector,
    countKey: `spread\u0000${ns}\u0000${selector === NOTHING ? '<nothing>' : selector.toString()}`,
    ...opts,
  };
}

/** Pods on the node in the pod's namespace that the selector matches; terminating pods do not count. */
function countMatching(node: NodeInfo, c: Constraint, namespace: string): number {
  if (c.selector === NOTHING) return 0;
  return node.memo(c.countKey, () => {
    let n = 0;
    for (const e of node.pods.values()) {
      const p = e.pod;
      if (p.metadata?.deletionTimestamp || (p.metadata?.namespace ?? 'default') !== namespace) continue;
      if (c.selector.matches(p.metadata?.labels)) n++;
    }
    return n;
  });
}

function hasAllKeys(labels: Readonly<Record<string, string>>, constraints: readonly Constraint[]): boolean {
  for (const c of constraints) if (!Object.hasOwn(labels, c.topologyKey)) return false;
  return true;
}

/** nodeAffinityPolicy / nodeTaintsPolicy: whether the node's pods count toward the constraint. */
function nodeIncluded(pod: Pod, node: NodeInfo, c: Constraint): boolean {
  if (c.honorNodeAffinity && !podMatchesNodeSelectorAndAffinity(pod, node.node)) return false;
  if (
    c.honorNodeTaints &&
    findUntoleratedTaint(node.node.spec?.taints, pod.spec?.tolerations, isSchedulingTaint)
  )
    return false;
  return true;
}

/** Match counts per domain of each hard constraint, as upstream's preFilterState. */
class FilterState {
  private mins: (number | undefined)[];

  constructor(
    readonly constraints: Constraint[],
    /** Per constraint: topology value → matching pods. Every eligible domain is present, 0 included. */
    readonly counts: OverlayCounts[],
  ) {
    this.mins = constraints.map(() => undefined);
  }

  clone(): FilterState {
    return new FilterState(
      this.constraints,
      this.counts.map((c) => c.clone()),
    );
  }

  change(i: number, value: string, delta: number): void {
    if (this.counts[i].get(value) === undefined) return;
    this.counts[i].add(value, delta);
    this.mins[i] = undefined;
  }

  private selfMatches: (0 | 1)[] | undefined;

  /** 1 when the constraint's selector matches the incoming pod itself. */
  selfMatch(i: number, labels: Record<string, string> | undefined): 0 | 1 {
    this.selfMatches ??= this.constraints.map((c) => (c.selector.matches(labels) ? 1 : 0));
    return this.selfMatches[i];
  }

  /** The smallest count over domains; 0 while there are fewer domains than minDomains. */
  minMatch(i: number): number {
    const c = this.counts[i];
    if (c.base.size < this.constraints[i].minDomains) return 0;
    let min = this.mins[i];
    if (min === undefined) {
      min = c.min();
      this.mins[i] = min;
    }
    return min;
  }
}

interface ScoreState {
  constraints: Constraint[];
  /** Per constraint (not hostname): topology value → matching pods over all eligible nodes. */
  counts: ReadonlyMap<string, number>[];
  weights: number[];
  ignored: Set<string>;
}

const NO_COUNTS: ReadonlyMap<string, number> = new Map();

/**
 * Spreads pods matching a selector evenly across topology domains: DoNotSchedule constraints
 * filter (maxSkew, minDomains, node inclusion policies, matchLabelKeys), ScheduleAnyway ones
 * (or upstream's system defaults, for pods with none of their own) score, as upstream's
 * PodTopologySpread. Counts per domain are aggregates kept up to date between attempts.
 */
export class PodTopologySpread implements Plugin {
  readonly name = 'PodTopologySpread';
  private readonly aggregates = new AggregateCache();

  constructor(private readonly handle: Handle) {}

  private constraints(pod: Pod, when: 'DoNotSchedule' | 'ScheduleAnyway'): Constraint[] {
    return (pod.spec?.topologySpreadConstraints ?? [])
      .filter((c) => c.whenUnsatisfiable === when)
      .map((c) => compile(pod, c));
  }

  /**
   * Matching pods per value of constraint `i`'s key over the nodes it counts: those with all
   * the keys (when `requireAll`) that pass its node inclusion policies.
   */
  private domainCounts(
    pod: Pod,
    constraints: readonly Constraint[],
    i: number,
    requireAll: boolean,
  ): ReadonlyMap<string, number> {
    const c = constraints[i];
    const spec = pod.spec;
    const key = JSON.stringify([
      c.countKey,
      c.topologyKey,
      requireAll ? constraints.map((x) => x.topologyKey) : [],
      c.honorNodeAffinity
        ? [spec?.nodeSelector, spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution]
        : null,
      c.honorNodeTaints ? (spec?.tolerations ?? []) : null,
    ]);
    const ns = pod.metadata?.namespace ?? 'default';
    return this.aggregates
      .get(
        key,
        () =>
          new TopologyAggregate((node) => {
            if (requireAll && !hasAllKeys(node.labels, constraints)) return [];
            if (!nodeIncluded(pod, node, c)) return [];
            return [[node.labels[c.topologyKey] ?? '', countMatching(node, c, ns)]];
          }),
      )
      .refresh(this.handle).counts;
  }

  preFilter(pod: Pod, state: CycleState): Verdict {
    const constraints = this.constraints(pod, 'DoNotSchedule');
    const counts = constraints.map((_, i) => new OverlayCounts(this.domainCounts(pod, constraints, i, true)));
    state.set(FILTER_STATE, new FilterState(constraints, counts));
    return constraints.length === 0 ? SKIP : SUCCESS;
  }

  private account(state: CycleState, pod: Pod, other: Pod, node: NodeInfo, delta: number): void {
    const s = state.get<FilterState>(FILTER_STATE);
    if (!s || s.constraints.length === 0) return;
    if (other.metadata?.deletionTimestamp) return;
    if ((other.metadata?.namespace ?? 'default') !== (pod.metadata?.namespace ?? 'default')) return;
    if (!hasAllKeys(node.labels, s.constraints)) return;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      if (!nodeIncluded(pod, node, c) || !c.selector.matches(other.metadata?.labels)) continue;
      s.change(i, node.labels[c.topologyKey], delta);
    }
  }

  addPod(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void {
    this.account(state, pod, other, node, 1);
  }

  removePod(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void {
    this.account(state, pod, other, node, -1);
  }

  filter(pod: Pod, node: NodeInfo, state: CycleState): Verdict {
    let s = state.get<FilterState>(FILTER_STATE);
    if (!s) {
      this.preFilter(pod, state);
      s = state.get<FilterState>(FILTER_STATE) as FilterState;
    }
    if (s.constraints.length === 0) return SUCCESS;
    const labels = node.labels;
    const podLabels = pod.metadata?.labels;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const v = labels[c.topologyKey];
      if (v === undefined) return MISSING_LABEL;
      const self = s.selfMatch(i, podLabels);
      const skew = (s.counts[i].get(v) ?? 0) + self - s.minMatch(i);
      if (skew > c.maxSkew) return SKEWED;
    }
    return SUCCESS;
  }

  preScore(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): void {
    let constraints = this.constraints(pod, 'ScheduleAnyway');
    const own = (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0;
    if (!own) {
      const selector = this.handle.defaultSelector(pod);
      constraints =
        selector && !selector.empty
          ? SYSTEM_DEFAULT_CONSTRAINTS.map((d) =>
              constraintOf(pod, d.topologyKey, d.maxSkew, selector, {
                minDomains: 1,
                honorNodeAffinity: true,
                honorNodeTaints: false,
              }),
            )
          : [];
    }
    if (constraints.length === 0) {
      state.set(SCORE_STATE, undefined);
      return;
    }
    // Pods with constraints of their own ignore nodes missing a key; system defaults do not.
    const requireAll = own;
    const ignored = new Set<string>();
    const values = constraints.map(() => new Set<string>());
    for (const node of nodes) {
      if (requireAll && !hasAllKeys(node.labels, constraints)) {
        ignored.add(node.name);
        continue;
      }
      for (let i = 0; i < constraints.length; i++) {
        if (constraints[i].topologyKey !== HOSTNAME_LABEL)
          values[i].add(node.labels[constraints[i].topologyKey] ?? '');
      }
    }
    const weights = constraints.map((c, i) =>
      Math.log((c.topologyKey === HOSTNAME_LABEL ? nodes.length - ignored.size : values[i].size) + 2),
    );
    const counts = constraints.map((c, i) =>
      c.topologyKey === HOSTNAME_LABEL ? NO_COUNTS : this.domainCounts(pod, constraints, i, requireAll),
    );
    const s: ScoreState = { constraints, counts, weights, ignored };
    state.set(SCORE_STATE, s);
  }

  score(pod: Pod, node: NodeInfo, state: CycleState): number {
    const s = state.get<ScoreState>(SCORE_STATE);
    if (!s || s.ignored.has(node.name)) return 0;
    const ns = pod.metadata?.namespace ?? 'default';
    let score = 0;
    for (let i = 0; i < s.constraints.length; i++) {
      const c = s.constraints[i];
      const v = node.labels[c.topologyKey];
      if (v === undefined) continue;
      const n = c.topologyKey === HOSTNAME_LABEL ? countMatching(node, c, ns) : (s.counts[i].get(v) ?? 0);
      score += n * s.weights[i] + (c.maxSkew - 1);
    }
    return Math.round(score);
  }

  /** Fewer matching pods score higher: 100 * (max + min - score) / max; ignored nodes 0. */
  normalizeScores(scores: number[], _pod: Pod, state: CycleState, nodes: readonly NodeInfo[]): void {
    const s = state.get<ScoreState>(SCORE_STATE);
    if (!s) {
      scores.fill(0);
      return;
    }
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i].name)) continue;
      if (scores[i] < min) min = scores[i];
      if (scores[i] > max) max = scores[i];
    }
    for (let i = 0; i < scores.length; i++) {
      if (s.ignored.has(nodes[i].name)) scores[i] = 0;
      else if (max === 0) scores[i] = MAX_NODE_SCORE;
      else scores[i] = Math.floor((MAX_NODE_SCORE * (max + min - scores[i])) / max);
    }
  }
}
