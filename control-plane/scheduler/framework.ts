import type { Pod } from 'kubernetes-types/core/v1.js';
import type { NodeInfo } from './node-info.js';

export type Code = 'Success' | 'Unschedulable' | 'UnschedulableAndUnresolvable' | 'Error';

/** The outcome of a filter: a code plus the reasons shown to users ("Insufficient cpu"). */
export interface Verdict {
  code: Code;
  reasons: string[];
}

export const SUCCESS: Verdict = Object.freeze({ code: 'Success', reasons: [] }) as Verdict;

export function unschedulable(...reasons: string[]): Verdict {
  return { code: 'Unschedulable', reasons };
}

export function unresolvable(...reasons: string[]): Verdict {
  return { code: 'UnschedulableAndUnresolvable', reasons };
}

export function errorVerdict(reason: string): Verdict {
  return { code: 'Error', reasons: [reason] };
}

/** Per-attempt scratch space: plugins compute what depends only on the pod once, not once per node. */
export class CycleState {
  private readonly values = new Map<string, unknown>();

  memo<T>(key: string, compute: () => T): T {
    if (this.values.has(key)) return this.values.get(key) as T;
    const v = compute();
    this.values.set(key, v);
    return v;
  }
}

/** The highest score a plugin gives after normalization. */
export const MAX_NODE_SCORE = 100;

export interface Plugin {
  readonly name: string;
  /** Whether the node can run the pod. */
  filter?(pod: Pod, node: NodeInfo, state: CycleState): Verdict;
  /** How much the pod would like this node, 0..100 (or a raw value that `normalizeScores` maps there). */
  score?(pod: Pod, node: NodeInfo, state: CycleState): number;
  /** Maps raw scores of all feasible nodes into 0..100, in place. */
  normalizeScores?(scores: number[], pod: Pod, state: CycleState): void;
}

export type FilterPlugin = Plugin & Required<Pick<Plugin, 'filter'>>;
export type ScorePlugin = Plugin & Required<Pick<Plugin, 'score'>>;

/** What plugins may use from the scheduler; extension point for plugins that need the cluster (inter-pod affinity, spread). */
export interface Handle {
  /** Every node the scheduler knows, with the pods counted on it. */
  nodeInfos(): readonly NodeInfo[];
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
