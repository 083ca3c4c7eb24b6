import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, ReplicationController, Service } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import { type LabelMatcher, labelSelectorFromObject } from '../../api/labels.js';

export interface SelectorSources {
  /** Services in a namespace. */
  services(namespace: string): readonly Service[];
  replicationController(namespace: string, name: string): ReplicationController | undefined;
  replicaSet(namespace: string, name: string): ReplicaSet | undefined;
  statefulSet(namespace: string, name: string): StatefulSet | undefined;
}

function matchesSet(set: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  for (const k in set) if (labels?.[k] !== set[k]) return false;
  return true;
}

/**
 * Upstream's DefaultSelector: the selectors of the Services that select the pod, and of its
 * controlling ReplicationController, ReplicaSet or StatefulSet, ANDed. Undefined when there is
 * none (the pod then gets no default spread constraints).
 */
export function defaultSelector(pod: Pod, src: SelectorSources): LabelMatcher | undefined {
  const ns = pod.metadata?.namespace ?? 'default';
  const labels = pod.metadata?.labels;
  const matchLabels: Record<string, string> = {};
  const matchExpressions: NonNullable<LabelSelector['matchExpressions']> = [];
  for (const svc of src.services(ns)) {
    const sel = svc.spec?.selector;
    if (!sel || Object.keys(sel).length === 0 || !matchesSet(sel, labels)) continue;
    Object.assign(matchLabels, sel);
  }
  const owner = pod.metadata?.ownerReferences?.find((r) => r.controller);
  if (owner) {
    const group = owner.apiVersion.includes('/') ? owner.apiVersion.split('/')[0] : '';
    let sel: LabelSelector | undefined;
    if (group === '' && owner.kind === 'ReplicationController') {
      const rc = src.replicationController(ns, owner.name);
      if (rc?.spec?.selector) sel = { matchLabels: rc.spec.selector };
    } else if (group === 'apps' && owner.kind === 'ReplicaSet') {
      sel = src.replicaSet(ns, owner.name)?.spec?.selector;
    } else if (group === 'apps' && owner.kind === 'StatefulSet') {
      sel = src.statefulSet(ns, owner.name)?.spec?.selector;
    }
    if (sel) {
      Object.assign(matchLabels, sel.matchLabels ?? {});
      matchExpressions.push(...(sel.matchExpressions ?? []));
    }
  }
  if (Object.keys(matchLabels).length === 0 && matchExpressions.length === 0) return undefined;
  try {
    return labelSelectorFromObject({ matchLabels, matchExpressions });
  } catch {
    return undefined;
  }
}
