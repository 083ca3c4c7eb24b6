import type { Affinity, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';

const NAME_FIELD = 'metadata.name';

/**
 * The affinity a daemon pod for `node` gets, as upstream's ReplaceDaemonSetPodNodeNameNodeAffinity:
 * the required node selector becomes the single term `metadata.name In [node]` (any required
 * terms of the template are replaced); preferred node affinity and pod (anti-)affinity stay.
 * Returns a new object; `affinity` is not changed.
 */
export function withNodeNameAffinity(affinity: Affinity | undefined, node: string): Affinity {
  const term: NodeSelectorTerm = { matchFields: [{ key: NAME_FIELD, operator: 'In', values: [node] }] };
  const copy = structuredClone(affinity ?? {});
  copy.nodeAffinity = {
    ...(copy.nodeAffinity ?? {}),
    requiredDuringSchedulingIgnoredDuringExecution: {
      ...(copy.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution ?? {}),
      nodeSelectorTerms: [term],
    },
  };
  return copy;
}

/**
 * The node a daemon pod is for, as upstream's GetTargetNodeName: spec.nodeName once bound, else
 * the single value of the first `metadata.name In` field requirement of its required node
 * affinity; undefined when there is neither (or that requirement has other than one value).
 */
export function targetNodeName(pod: Pod): string | undefined {
  if (pod.spec?.nodeName) return pod.spec.nodeName;
  const terms =
    pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms ?? [];
  for (const term of terms) {
    for (const r of term.matchFields ?? []) {
      if (r.key === NAME_FIELD && r.operator === 'In') {
        return r.values?.length === 1 ? r.values[0] : undefined;
      }
    }
  }
  return undefined;
}
