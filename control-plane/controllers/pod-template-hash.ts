import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';

export const POD_TEMPLATE_HASH_LABEL = 'pod-template-hash';

/** Consonants and digits only, so that a hash never spells a word (upstream's SafeEncodeString). */
const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted and undefined members left out: one text per value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/** 32-bit FNV-1a over the UTF-8 bytes of `text`. */
export function fnv32a(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash >>> 0;
}

/** Each decimal digit of the hash mapped into the safe alphabet, as upstream renders it. */
export function safeEncode(n: number): string {
  let out = '';
  for (const ch of String(n)) out += SAFE_ALPHABET[ch.charCodeAt(0) % SAFE_ALPHABET.length];
  return out;
}

/**
 * The pod-template-hash of a template: stable for equal templates whatever their key order,
 * changed by `collisionCount` so that a name collision can be escaped.
 */
export function podTemplateHash(template: PodTemplateSpec | undefined, collisionCount?: number): string {
  let text = canonicalJson(template ?? {});
  if (collisionCount !== undefined && collisionCount > 0) text += `#${collisionCount}`;
  return safeEncode(fnv32a(text));
}

/** A copy of the template without the pod-template-hash label. */
export function withoutHash(template: PodTemplateSpec | undefined): PodTemplateSpec {
  const copy = structuredClone(template ?? {}) as PodTemplateSpec;
  const labels = copy.metadata?.labels;
  if (labels && POD_TEMPLATE_HASH_LABEL in labels) {
    const { [POD_TEMPLATE_HASH_LABEL]: _h, ...rest } = labels;
    (copy.metadata as { labels?: Record<string, string> }).labels = rest;
  }
  return copy;
}

/** Two templates equal apart from the pod-template-hash label (upstream's EqualIgnoreHash). */
export function templatesEqualIgnoringHash(
  a: PodTemplateSpec | undefined,
  b: PodTemplateSpec | undefined,
): boolean {
  return canonicalJson(normalize(withoutHash(a))) === canonicalJson(normalize(withoutHash(b)));
}

/** Empty label maps and absent ones mean the same. */
function normalize(t: PodTemplateSpec): PodTemplateSpec {
  const meta = t.metadata as { labels?: Record<string, string> } | undefined;
  if (meta?.labels && Object.keys(meta.labels).length === 0) delete meta.labels;
  if (meta && Object.keys(meta).length === 0) delete (t as { metadata?: unknown }).metadata;
  return t;
}
