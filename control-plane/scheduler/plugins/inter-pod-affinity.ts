import type { Pod } from 'kubernetes-types/core/v1.js';
import {
  type CycleState,
  type Handle,
  MAX_NODE_SCORE,
  type Plugin,
  SUCCESS,
  unresolvable,
  unschedulable,
  type Verdict,
} from '../framework.js';
import type { NodeInfo } from '../node-info.js';
import {
  type AffinityTerm,
  affinityTermsOf,
  allTermsMatch,
  type NamespaceLabels,
  type PodAffinityTerms,
  pairKey,
  termMatchesPod,
} from './affinity-term.js';

export const ERR_AFFINITY = "node(s) didn't match pod affinity rules";
export const ERR_ANTI_AFFINITY = "node(s) didn't match pod anti-affinity rules";
export const ERR_EXISTING_ANTI_AFFINITY = "node(s) didn't satisfy existing pods anti-affinity rules";

/** Weight of an existing pod's required affinity term that selects the incoming pod, in scores. */
export const HARD_POD_AFFINITY_WEIGHT = 1;

const FILTER_STATE = 'InterPodAffinity/filter';
const SCORE_STATE = 'InterPodAffinity/score';

type Counts = Map<string, number>;

function bump(counts: Counts, key: string, delta: number): void {
  const n = (counts.get(key) ?? 0) + delta;
  if (n === 0) counts.delete(key);
  else counts.set(key, n);
}

/** Per-attempt counts per topology pair, as upstream's preFilterState. */
class FilterState {
  constructor(
    readonly terms: PodAffinityTerms,
    /** Pairs where an existing pod's required anti-affinity selects the incoming pod. */
    readonly existingAntiAffinity: Counts = new Map(),
    /** Pairs holding pods that match all the incoming pod's required affinity terms. */
    readonly affinity: Counts = new Map(),
    /** Pairs holding pods that match one of the incoming pod's required anti-affinity terms. */
    readonly antiAffinity: Counts = new Map(),
  ) {}

  clone(): FilterState {
    return new FilterState(
      this.terms,
      new Map(this.existingAntiAffinity),
      new Map(this.affinity),
      new Map(this.antiAffinity),
    );
  }
}

/**
 * Required pod affinity and anti-affinity (the incoming pod's terms, and existing pods'
 * anti-affinity against it) over topology domains; preferred terms score, as upstream's
 * InterPodAffinity. Counts per topology pair are computed once per attempt.
 */
export class InterPodAffinity implements Plugin {
  readonly name = 'InterPodAffinity';
  private readonly nsLabels: NamespaceLabels;

  constructor(private readonly handle: Handle) {
    this.nsLabels = (ns) => handle.namespaceLabels(ns);
  }

  preFilter(pod: Pod, state: CycleState): Verdict {
    const terms = affinityTermsOf(pod);
    const s = new FilterState(terms);
    const needAll = terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0;
    for (const node of this.handle.nodeInfos()) {
      if (!needAll && node.podsWithRequiredAntiAffinity === 0) continue;
      for (const e of node.pods.values()) {
        if (!needAll && !e.requiredAntiAffinity) continue;
        this.account(s, pod, e.pod, node, 1);
      }
    }
    state.set(FILTER_STATE, s);
    return SUCCESS;
  }

  /** Adds (delta 1) or takes away (-1) what one existing pod contributes to the counts. */
  private account(s: FilterState, pod: Pod, other: Pod, node: NodeInfo, delta: number): void {
    const labels = node.labels;
    for (const t of affinityTermsOf(other).requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && termMatchesPod(t, pod, this.nsLabels))
        bump(s.existingAntiAffinity, pairKey(t.topologyKey, v), delta);
    }
    if (allTermsMatch(s.terms.requiredAffinity, other, this.nsLabels)) {
      for (const t of s.terms.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined) bump(s.affinity, pairKey(t.topologyKey, v), delta);
      }
    }
    for (const t of s.terms.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && termMatchesPod(t, other, this.nsLabels))
        bump(s.antiAffinity, pairKey(t.topologyKey, v), delta);
    }
  }

  addPod(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void {
    const s = state.get<FilterState>(FILTER_STATE);
    if (s) this.account(s, pod, other, node, 1);
  }

  removePod(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void {
    const s = state.get<FilterState>(FILTER_STATE);
    if (s) this.account(s, pod, other, node, -1);
  }

  filter(pod: Pod, node: NodeInfo, state: CycleState): Verdict {
    let s = state.get<FilterState>(FILTER_STATE);
    if (!s) {
      this.preFilter(pod, state);
      s = state.get<FilterState>(FILTER_STATE) as FilterState;
    }
    const labels = node.labels;
    if (!this.satisfiesAffinity(s, pod, labels)) return unresolvable(ERR_AFFINITY);
    for (const t of s.terms.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && (s.antiAffinity.get(pairKey(t.topologyKey, v)) ?? 0) > 0)
        return unschedulable(ERR_ANTI_AFFINITY);
    }
    if (s.existingAntiAffinity.size > 0) {
      for (const k in labels) {
        if ((s.existingAntiAffinity.get(pairKey(k, labels[k])) ?? 0) > 0)
          return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
      }
    }
    return SUCCESS;
  }

  private satisfiesAffinity(s: FilterState, pod: Pod, labels: Readonly<Record<string, string>>): boolean {
    const terms = s.terms.requiredAffinity;
    if (terms.length === 0) return true;
    let podsExist = true;
    for (const t of terms) {
      const v = labels[t.topologyKey];
      if (v === undefined) return false;
      if ((s.affinity.get(pairKey(t.topologyKey, v)) ?? 0) <= 0) podsExist = false;
    }
    if (podsExist) return true;
    // The first pod of a group that selects itself may go anywhere its terms' topology exists.
    return s.affinity.size === 0 && allTermsMatch(terms, pod, this.nsLabels);
  }

  preScore(pod: Pod, _nodes: readonly NodeInfo[], state: CycleState): void {
    const terms = affinityTermsOf(pod);
    const hasPreferred = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
    const scores = new Map<string, Map<string, number>>();
    const add = (t: AffinityTerm, node: NodeInfo, weight: number): void => {
      const v = node.labels[t.topologyKey];
      if (v === undefined) return;
      let byValue = scores.get(t.topologyKey);
      if (!byValue) {
        byValue = new Map();
        scores.set(t.topologyKey, byValue);
      }
      byValue.set(v, (byValue.get(v) ?? 0) + weight);
    };
    for (const node of this.handle.nodeInfos()) {
      if (!hasPreferred && node.podsWithAffinity === 0) continue;
      for (const e of node.pods.values()) {
        if (!hasPreferred && !e.affinity) continue;
        const other = e.pod;
        for (const t of terms.preferredAffinity)
          if (termMatchesPod(t, other, this.nsLabels)) add(t, node, t.weight);
        for (const t of terms.preferredAntiAffinity)
          if (termMatchesPod(t, other, this.nsLabels)) add(t, node, -t.weight);
        if (!e.affinity) continue;
        const theirs = affinityTermsOf(other);
        for (const t of theirs.requiredAffinity)
          if (termMatchesPod(t, pod, this.nsLabels)) add(t, node, HARD_POD_AFFINITY_WEIGHT);
        for (const t of theirs.preferredAffinity)
          if (termMatchesPod(t, pod, this.nsLabels)) add(t, node, t.weight);
        for (const t of theirs.preferredAntiAffinity)
          if (termMatchesPod(t, pod, this.nsLabels)) add(t, node, -t.weight);
      }
    }
    state.set(SCORE_STATE, scores);
  }

  score(_pod: Pod, node: NodeInfo, state: CycleState): number {
    const scores = state.get<Map<string, Map<string, number>>>(SCORE_STATE);
    if (!scores || scores.size === 0) return 0;
    let sum = 0;
    const labels = node.labels;
    for (const [key, byValue] of scores) {
      const v = labels[key];
      if (v !== undefined) sum += byValue.get(v) ?? 0;
    }
    return sum;
  }

  /** Min-max scaling to 0..100 (all 0 when every node scores the same). */
  normalizeScores(scores: number[]): void {
    let min = Number.POSITIVE_INFINITY;
    let max = Number.NEGATIVE_INFINITY;
    for (const s of scores) {
      if (s < min) min = s;
      if (s > max) max = s;
    }
    const diff = max - min;
    for (let i = 0; i < scores.length; i++) {
      scores[i] = diff > 0 ? Math.floor((MAX_NODE_SCORE * (scores[i] - min)) / diff) : 0;
    }
  }
}
