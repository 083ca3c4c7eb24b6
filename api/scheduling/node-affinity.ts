import type { Node, NodeSelectorRequirement, NodeSelectorTerm, Pod } from 'kubernetes-types/core/v1.js';

function parseInteger(s: string | undefined): number | undefined {
  if (s === undefined || !/^-?\d+$/.test(s.trim())) return undefined;
  return Number(s.trim());
}

/** One node selector requirement against a label (or field) set. */
export function requirementMatches(req: NodeSelectorRequirement, set: Record<string, string>): boolean {
  const has = Object.hasOwn(set, req.key);
  const value = set[req.key];
  const values = req.values ?? [];
  switch (req.operator) {
    case 'In':
      return has && values.includes(value);
    case 'NotIn':
      return !has || !values.includes(value);
    case 'Exists':
      return has;
    case 'DoesNotExist':
      return !has;
    case 'Gt':
    case 'Lt': {
      if (!has || values.length !== 1) return false;
      const a = parseInteger(value);
      const b = parseInteger(values[0]);
      if (a === undefined || b === undefined) return false;
      return req.operator === 'Gt' ? a > b : a < b;
    }
    default:
      return false;
  }
}

/** A term matches when all its expressions and fields match; an empty term matches nothing. */
export function termMatches(term: NodeSelectorTerm, node: Node): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  const labels = node.metadata?.labels ?? {};
  if (!exprs.every((r) => requirementMatches(r, labels))) return false;
  const nodeFields = { 'metadata.name': node.metadata?.name ?? '' };
  return fields.every((r) => r.key === 'metadata.name' && requirementMatches(r, nodeFields));
}

/** Terms are ORed. */
export function anyTermMatches(terms: readonly NodeSelectorTerm[], node: Node): boolean {
  return terms.some((t) => termMatches(t, node));
}

/** spec.nodeSelector and required node affinity, as the scheduler and the kubelet's admission check them. */
export function podMatchesNodeSelectorAndAffinity(pod: Pod, node: Node): boolean {
  const labels = node.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(pod.spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = pod.spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (required) return anyTermMatches(required.nodeSelectorTerms ?? [], node);
  return true;
}
