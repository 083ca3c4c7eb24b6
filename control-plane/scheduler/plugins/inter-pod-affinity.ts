import type { Pod } from 'kubernetes-types/core/v1.js';
import { NOTHING } from '../../../api/labels.js';
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
import { AggregateCache, type Contribution, OverlayCounts, TopologyAggregate } from '../topology-counts.js';
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

/** Per-attempt counts per topology pair, as upstream's preFilterState. */
class FilterState {
  constructor(
    readonly terms: PodAffinityTerms,
    /** Pairs where an existing pod's required anti-affinity selects the incoming pod. */
    readonly existingAntiAffinity: OverlayCounts,
    /** Pairs holding pods that match all the incoming pod's required affinity terms. */
    readonly affinity: OverlayCounts,
    /** Pairs holding pods that match one of the incoming pod's required anti-affinity terms. */
    readonly antiAffinity: OverlayCounts,
  ) {}

  clone(): FilterState {
    return new FilterState(
      this.terms,
      this.existingAntiAffinity.clone(),
      this.affinity.clone(),
      this.antiAffinity.clone(),
    );
  }
}

const EMPTY_COUNTS: ReadonlyMap<string, number> = new Map();

function contribution(counts: Map<string, number>): Contribution {
  return counts.size === 0 ? [] : [...counts];
}

/**
 * Required pod affinity and anti-affinity (the incoming pod's terms, and existing pods'
 * anti-affinity against it) over topology domains; preferred terms score, as upstream's
 * InterPodAffinity. Counts per topology pair are aggregates kept up to date between attempts.
 */
export class InterPodAffinity implements Plugin {
  readonly name = 'InterPodAffinity';
  private readonly nsLabels: NamespaceLabels;
  private readonly aggregates = new AggregateCache();

  constructor(private readonly handle: Handle) {
    this.nsLabels = (ns) => handle.namespaceLabels(ns);
  }

  preFilter(pod: Pod, state: CycleState): Verdict {
    const terms = affinityTermsOf(pod);
    const h = this.handle;
    const ns = pod.metadata?.namespace ?? 'default';
    let existing: ReadonlyMap<string, number> = EMPTY_COUNTS;
    if (h.nodesWithRequiredAntiAffinity().length > 0) {
      // Existing pods' terms depend on the incoming pod's namespace (and its labels) and labels.
      const key = `x\u0000${ns}\u0000${JSON.stringify(h.namespaceLabels(ns) ?? {})}\u0000${JSON.stringify(pod.metadata?.labels ?? {})}`;
      existing = this.aggregates
        .get(
          key,
          () =>
            new TopologyAggregate(
              (node) => this.existingAntiOn(pod, node),
              (hh) => hh.nodesWithRequiredAntiAffinity(),
            ),
        )
        .refresh(h).counts;
    }
    let affinity: ReadonlyMap<string, number> = EMPTY_COUNTS;
    let anti: ReadonlyMap<string, number> = EMPTY_COUNTS;
    if (terms.requiredAffinity.length > 0 || terms.requiredAntiAffinity.length > 0) {
      const a = pod.spec?.affinity;
      // Terms with a namespaceSelector count pods by their namespace's labels: start over when
      // namespaces change.
      const bySelector = [...terms.requiredAffinity, ...terms.requiredAntiAffinity].some(
        (t) => t.namespaceSelector !== NOTHING,
      );
      const sig = JSON.stringify([
        ns,
        a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
        a?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
        bySelector ? h.namespaceGeneration() : 0,
      ]);
      if (terms.requiredAffinity.length > 0)
        affinity = this.aggregates
          .get(`a\u0000${sig}`, () => new TopologyAggregate((node) => this.affinityOn(terms, node)))
          .refresh(h).counts;
      if (terms.requiredAntiAffinity.length > 0)
        anti = this.aggregates
          .get(`n\u0000${sig}`, () => new TopologyAggregate((node) => this.antiOn(terms, node)))
          .refresh(h).counts;
    }
    state.set(
      FILTER_STATE,
      new FilterState(
        terms,
        new OverlayCounts(existing),
        new OverlayCounts(affinity),
        new OverlayCounts(anti),
      ),
    );
    const nothing =
      terms.requiredAffinity.length === 0 && terms.requiredAntiAffinity.length === 0 && existing.size === 0;
    return nothing ? SKIP : SUCCESS;
  }

  /** Pairs of the node where its pods' required anti-affinity selects `pod`. */
  private existingAntiOn(pod: Pod, node: NodeInfo): Contribution {
    if (node.podsWithRequiredAntiAffinity === 0) return [];
    const counts = new Map<string, number>();
    for (const e of node.pods.values()) {
      if (!e.requiredAntiAffinity) continue;
      for (const t of affinityTermsOf(e.pod).requiredAntiAffinity) {
        const v = node.labels[t.topologyKey];
        if (v !== undefined && termMatchesPod(t, pod, this.nsLabels)) {
          const k = pairKey(t.topologyKey, v);
          counts.set(k, (counts.get(k) ?? 0) + 1);
        }
      }
    }
    return contribution(counts);
  }

  private affinityOn(terms: PodAffinityTerms, node: NodeInfo): Contribution {
    let n = 0;
    for (const e of node.pods.values()) if (allTermsMatch(terms.requiredAffinity, e.pod, this.nsLabels)) n++;
    if (n === 0) return [];
    const out: [string, number][] = [];
    for (const t of terms.requiredAffinity) {
      const v = node.labels[t.topologyKey];
      if (v !== undefined) out.push([pairKey(t.topologyKey, v), n]);
    }
    return out;
  }

  private antiOn(terms: PodAffinityTerms, node: NodeInfo): Contribution {
    const counts = new Map<string, number>();
    for (const t of terms.requiredAntiAffinity) {
      const v = node.labels[t.topologyKey];
      if (v === undefined) continue;
      let n = 0;
      for (const e of node.pods.values()) if (termMatchesPod(t, e.pod, this.nsLabels)) n++;
      if (n > 0) {
        const k = pairKey(t.topologyKey, v);
        counts.set(k, (counts.get(k) ?? 0) + n);
      }
    }
    return contribution(counts);
  }

  /** Adds (delta 1) or takes away (-1) what one existing pod contributes to the counts. */
  private account(s: FilterState, pod: Pod, other: Pod, node: NodeInfo, delta: number): void {
    const labels = node.labels;
    for (const t of affinityTermsOf(other).requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && termMatchesPod(t, pod, this.nsLabels))
        s.existingAntiAffinity.add(pairKey(t.topologyKey, v), delta);
    }
    if (allTermsMatch(s.terms.requiredAffinity, other, this.nsLabels)) {
      for (const t of s.terms.requiredAffinity) {
        const v = labels[t.topologyKey];
        if (v !== undefined) s.affinity.add(pairKey(t.topologyKey, v), delta);
      }
    }
    for (const t of s.terms.requiredAntiAffinity) {
      const v = labels[t.topologyKey];
      if (v !== undefined && termMatchesPod(t, other, this.nsLabels))
        s.antiAffinity.add(pairKey(t.topologyKey, v), delta);
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
    if (s.existingAntiAffinity.maybeNonEmpty) {
      for (const pair of node.labelPairs) {
        if ((s.existingAntiAffinity.get(pair) ?? 0) > 0) return unschedulable(ERR_EXISTING_ANTI_AFFINITY);
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
    return !s.affinity.anyPositive() && allTermsMatch(terms, pod, this.nsLabels);
  }

  preScore(pod: Pod, _nodes: readonly NodeInfo[], state: CycleState): void {
    const terms = affinityTermsOf(pod);
    const hasPreferred = terms.preferredAffinity.length > 0 || terms.preferredAntiAffinity.length > 0;
    const h = this.handle;
    if (!hasPreferred && h.nodesWithAffinity().length === 0) {
      state.set(SCORE_STATE, EMPTY_COUNTS);
      return;
    }
    const ns = pod.metadata?.namespace ?? 'default';
    const a = pod.spec?.affinity;
    // Everything the weights depend on: the pod's namespace (and its labels), labels and
    // preferred terms; namespaces' labels for terms with a namespaceSelector.
    const key = JSON.stringify([
      's',
      ns,
      h.namespaceLabels(ns) ?? {},
      pod.metadata?.labels ?? {},
      a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution,
      [...terms.preferredAffinity, ...terms.preferredAntiAffinity].some(
        (t) => t.namespaceSelector !== NOTHING,
      )
        ? h.namespaceGeneration()
        : 0,
    ]);
    const weights = this.aggregates
      .get(
        key,
        () =>
          new TopologyAggregate(
            (node) => this.weightsOn(pod, terms, hasPreferred, node),
            (hh) => (hasPreferred ? hh.nodeInfos() : hh.nodesWithAffinity()),
          ),
      )
      .refresh(h).counts;
    state.set(SCORE_STATE, weights);
  }

  /**
   * What the node's pods add to the incoming pod's preference, per topology pair: its preferred
   * (anti-)affinity terms selecting them, and their required affinity (weight 1) and preferred
   * terms selecting it.
   */
  private weightsOn(pod: Pod, terms: PodAffinityTerms, hasPreferred: boolean, node: NodeInfo): Contribution {
    if (!hasPreferred && node.podsWithAffinity === 0) return [];
    const sums = new Map<string, number>();
    const add = (t: AffinityTerm, weight: number): void => {
      const v = node.labels[t.topologyKey];
      if (v === undefined) return;
      const k = pairKey(t.topologyKey, v);
      sums.set(k, (sums.get(k) ?? 0) + weight);
    };
    for (const e of node.pods.values()) {
      if (!hasPreferred && !e.affinity) continue;
      const other = e.pod;
      for (const t of terms.preferredAffinity) if (termMatchesPod(t, other, this.nsLabels)) add(t, t.weight);
      for (const t of terms.preferredAntiAffinity)
        if (termMatchesPod(t, other, this.nsLabels)) add(t, -t.weight);
      if (!e.affinity) continue;
      const theirs = affinityTermsOf(other);
      for (const t of theirs.requiredAffinity)
        if (termMatchesPod(t, pod, this.nsLabels)) add(t, HARD_POD_AFFINITY_WEIGHT);
      for (const t of theirs.preferredAffinity) if (termMatchesPod(t, pod, this.nsLabels)) add(t, t.weight);
      for (const t of theirs.preferredAntiAffinity)
        if (termMatchesPod(t, pod, this.nsLabels)) add(t, -t.weight);
    }
    return contribution(sums);
  }

  /** The sum of the weights of the node's topology pairs. */
  score(_pod: Pod, node: NodeInfo, state: CycleState): number {
    const weights = state.get<ReadonlyMap<string, number>>(SCORE_STATE);
    if (!weights || weights.size === 0) return 0;
    let sum = 0;
    for (const pair of node.labelPairs) sum += weights.get(pair) ?? 0;
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
