import type { Pod, PodAffinityTerm, WeightedPodAffinityTerm } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { EVERYTHING, type LabelMatcher, labelSelectorFromObject, NOTHING } from '../../../api/labels.js';

/** A pod (anti-)affinity term with its selectors parsed, as upstream's framework.AffinityTerm. */
export interface AffinityTerm {
  topologyKey: string;
  selector: LabelMatcher;
  /** Namespaces named in the term (the pod's own when neither namespaces nor namespaceSelector is set). */
  namespaces: ReadonlySet<string>;
  /** nil selects no namespace; {} selects all. */
  namespaceSelector: LabelMatcher;
  weight: number;
}

export type NamespaceLabels = (namespace: string) => Readonly<Record<string, string>> | undefined;

function selectorOf(sel: LabelSelector | undefined): LabelMatcher {
  if (!sel) return NOTHING;
  try {
    return labelSelectorFromObject(sel);
  } catch {
    // Validation keeps invalid selectors out; one that slips through selects nothing.
    return NOTHING;
  }
}

function compile(owner: Pod, term: PodAffinityTerm, weight: number): AffinityTerm {
  const names = term.namespaces ?? [];
  const namespaces = new Set(names);
  if (names.length === 0 && !term.namespaceSelector) namespaces.add(owner.metadata?.namespace ?? 'default');
  const ns = term.namespaceSelector;
  const empty = !!ns && !ns.matchLabels && !(ns.matchExpressions?.length ?? 0);
  return {
    topologyKey: term.topologyKey,
    selector: selectorOf(term.labelSelector),
    namespaces,
    namespaceSelector: empty ? EVERYTHING : selectorOf(ns),
    weight,
  };
}

/** Whether `term` (of some pod) selects `pod`: namespace in scope, then labels. */
export function termMatchesPod(term: AffinityTerm, pod: Pod, nsLabels: NamespaceLabels): boolean {
  const ns = pod.metadata?.namespace ?? 'default';
  if (!term.namespaces.has(ns)) {
    if (term.namespaceSelector === NOTHING) return false;
    if (!term.namespaceSelector.matches(nsLabels(ns) as Record<string, string> | undefined)) return false;
  }
  return term.selector.matches(pod.metadata?.labels);
}

/** All terms select `pod` (and there is at least one). */
export function allTermsMatch(terms: readonly AffinityTerm[], pod: Pod, nsLabels: NamespaceLabels): boolean {
  if (terms.length === 0) return false;
  for (const t of terms) if (!termMatchesPod(t, pod, nsLabels)) return false;
  return true;
}

/** A pod's affinity terms, parsed once per pod object (informer objects are immutable). */
export interface PodAffinityTerms {
  requiredAffinity: AffinityTerm[];
  requiredAntiAffinity: AffinityTerm[];
  preferredAffinity: AffinityTerm[];
  preferredAntiAffinity: AffinityTerm[];
}

const EMPTY: PodAffinityTerms = Object.freeze({
  requiredAffinity: [],
  requiredAntiAffinity: [],
  preferredAffinity: [],
  preferredAntiAffinity: [],
}) as unknown as PodAffinityTerms;

const parsed = new WeakMap<Pod, PodAffinityTerms>();

export function affinityTermsOf(pod: Pod): PodAffinityTerms {
  const a = pod.spec?.affinity;
  if (!a?.podAffinity && !a?.podAntiAffinity) return EMPTY;
  let t = parsed.get(pod);
  if (t) return t;
  const req = (terms: PodAffinityTerm[] | undefined) => (terms ?? []).map((x) => compile(pod, x, 1));
  const pref = (terms: WeightedPodAffinityTerm[] | undefined) =>
    (terms ?? []).filter((x) => x.weight !== 0).map((x) => compile(pod, x.podAffinityTerm, x.weight));
  t = {
    requiredAffinity: req(a.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    requiredAntiAffinity: req(a.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution),
    preferredAffinity: pref(a.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
    preferredAntiAffinity: pref(a.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution),
  };
  parsed.set(pod, t);
  return t;
}

export { pairKey } from '../node-info.js';
