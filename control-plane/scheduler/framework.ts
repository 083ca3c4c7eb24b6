import type { Pod } from 'kubernetes-types/core/v1.js';
import type { LabelMatcher } from '../../api/labels.js';
import type { NodeInfo } from './node-info.js';

/** `Skip` (pre-filter only): the plugin's filter has nothing to check for this pod this cycle. */
export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error' | 'Skip';

/** The outcome of a filter: a code plus the reasons shown to users ("Insufficient cpu"). */
export interface Verdict {
  code: Code;
  reasons: string[];
}

export const SUCCESS: Verdict = Object.freeze({ code: 'Success', reasons: [] }) as Verdict;

export const SKIP: Verdict = Object.freeze({ code: 'Skip', reasons: [] }) as Verdict;

export function unschedulable(...reasons: string[]): Verdict {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Verdict {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorVerdict(reason: string): Verdict {
  return { code: 'Error', reasons: [reason] };
}

/** A cycle-state value that what-if evaluations (nominated pods, preemption) copy before changing. */
export interface Cloneable {
  clone(): Cloneable;
}

function isCloneable(v: unknown): v is Cloneable {
  return typeof v === 'object' && v !== null && typeof (v as Cloneable).clone === 'function';
}

/** Per-attempt scratch space: plugins compute what depends only on the pod once, not once per node. */
export class CycleState {
  private readonly values = new Map<string, unknown>();

  memo<T>(key: string, compute: () => T): T {
    const known = this.values.get(key);
    if (known !== undefined || this.values.has(key)) return known as T;
    const v = compute();
    this.values.set(key, v);
    return v;
  }

  get<T>(key: string): T | undefined {
    return this.values.get(key) as T | undefined;
  }

  set(key: string, value: unknown): void {
    this.values.set(key, value);
  }

  /** A copy whose cloneable values (pre-filter counts) can be changed without touching this one. */
  clone(): CycleState {
    const c = new CycleState();
    for (const [k, v] of this.values) c.values.set(k, isCloneable(v) ? v.clone() : v);
    return c;
  }
}

/** The highest score a plugin gives after normalization. */
export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
  /**
   * Once per attempt before any filter: computes what the filter needs from the whole cluster
   * (counts per topology domain). `Skip` leaves the filter out for this attempt; another
   * non-success verdict rejects every node.
   */
  preFilter?(pod: Pod, state: CycleState): Verdict;
  /** Whether the node can run the pod. */
  filter?(pod: Pod, node: NodeInfo, state: CycleState): Verdict;
  /**
   * Updates the pre-filter state as if `other` ran (addPod) or no longer ran (removePod) on
   * `node`: how nominated pods and preemption victims are weighed without recomputing it.
   */
  addPod?(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void;
  removePod?(state: CycleState, pod: Pod, other: Pod, node: NodeInfo): void;
  /** Once per attempt before scores, with the feasible nodes. */
  preScore?(pod: Pod, nodes: readonly NodeInfo[], state: CycleState): void;
  /** How much the pod would like this node, 0..100 (or a raw value that `normalizeScores` maps there). */
  score?(pod: Pod, node: NodeInfo, state: CycleState): number;
  /** Maps raw scores of all feasible nodes (in the order of `nodes`) into 0..100, in place. */
  normalizeScores?(scores: number[], pod: Pod, state: CycleState, nodes: readonly NodeInfo[]): void;
}

export type FilterPlugin = Plugin & Required<Pick<Plugin, 'filter'>>;
export type ScorePlugin = Plugin & Required<Pick<Plugin, 'score'>>;

/** What plugins may use from the scheduler: the cluster as the informers see it. */
export interface Handle {
  /** Every node the scheduler knows, with the pods counted on it. */
  nodeInfos(): readonly NodeInfo[];
  nodeInfo(name: string): NodeInfo | undefined;
  /** Nodes holding pods whose affinity weighs in scores, and pods with required anti-affinity. */
  nodesWithAffinity(): readonly NodeInfo[];
  nodesWithRequiredAntiAffinity(): readonly NodeInfo[];
  /** Grows with every change to a node or its pods. */
  changeSeq(): number;
  /** Names of nodes changed since `seq`; undefined when unknown (recompute from scratch). */
  changedSince(seq: number): readonly string[] | undefined;
  /** A namespace's labels (for namespaceSelector); undefined when the namespace is unknown. */
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  /** Grows whenever a namespace is added, changed or removed (namespaceSelector results may change). */
  namespaceGeneration(): number;
  /** How many nodes report the image (normalized name) in status.images. */
  imageNodeCount(image: string): number;
  /**
   * The selector of the pod's Services, ReplicaSets, StatefulSets and ReplicationControllers
   * combined, as upstream's DefaultSelector; undefined when none selects the pod.
   */
  defaultSelector(pod: Pod): LabelMatcher | undefined;
  /** The pod's priority: spec.priority, else its PriorityClass's value. */
  priorityOf(pod: Pod): number;
}

/** A Handle over a fixed set of nodes and nothing else (tests, config validation). */
export function staticHandle(nodes: readonly NodeInfo[] = [], extra: Partial<Handle> = {}): Handle {
  return {
    nodeInfos: () => nodes,
    nodeInfo: (name) => nodes.find((n) => n.name === name),
    nodesWithAffinity: () => nodes.filter((n) => n.podsWithAffinity > 0),
    nodesWithRequiredAntiAffinity: () => nodes.filter((n) => n.podsWithRequiredAntiAffinity > 0),
    changeSeq: () => 0,
    changedSince: () => undefined,
    namespaceLabels: () => undefined,
    namespaceGeneration: () => 0,
    imageNodeCount: (image) => nodes.filter((n) => n.images.has(image)).length,
    defaultSelector: () => undefined,
    priorityOf: (pod) => pod.spec?.priority ?? 0,
    ...extra,
  };
}

export type PluginFactory = (handle: Handle) => Plugin;

/** Scales raw scores so the best is 100 (or the worst, when `reverse`), as upstream's DefaultNormalizeScore. */
export function defaultNormalize(scores: number[], reverse: boolean): void {
  let max = 0;
  for (const s of scores) max = Math.max(max, s);
  if (max === 0) {
    if (reverse) scores.fill(MAX_NODE_SCORE);
    return;
  }
  for (let i = 0; i < scores.length; i++) {
    const s = Math.floor((MAX_NODE_SCORE * scores[i]) / max);
    scores[i] = reverse ? MAX_NODE_SCORE - s : s;
  }
}
