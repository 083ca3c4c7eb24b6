import { labelSelectorFromObject } from '../labels.js';

/** Loose readers for objects whose shape came off the wire. */
export type Obj = Record<string, unknown>;

export function obj(v: unknown): Obj {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {};
}

export function list(v: unknown): Obj[] {
  return Array.isArray(v) ? v.map(obj) : [];
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

export function int(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? Math.trunc(v) : 0;
}

/** `k=v,k2=v2` sorted by key, `<none>` when empty: upstream's labels.FormatLabels. */
export function formatLabels(set: unknown): string {
  const entries = Object.entries(obj(set))
    .map(([k, v]) => [k, String(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries.length ? entries.map(([k, v]) => `${k}=${v}`).join(',') : '<none>';
}

/** The selector's string form; `<invalid>` for a selector that does not parse. */
export function selectorString(sel: unknown): string {
  if (sel === undefined || sel === null) return '';
  try {
    return labelSelectorFromObject(sel as Parameters<typeof labelSelectorFromObject>[0]).toString();
  } catch {
    return '<invalid>';
  }
}

/** As selectorString, but `<none>` when empty: upstream's metav1.FormatLabelSelector. */
export function formatLabelSelector(sel: unknown): string {
  const s = selectorString(sel);
  return s === '' ? '<none>' : s;
}

/** Container names and images, comma-joined. */
export function containerCells(podSpec: unknown): [string, string] {
  const containers = list(obj(podSpec).containers);
  return [containers.map((c) => str(c.name)).join(','), containers.map((c) => str(c.image)).join(',')];
}

/** The pod spec of a workload's template. */
export function templateSpec(o: Obj): Obj {
  return obj(obj(obj(o.spec).template).spec);
}
