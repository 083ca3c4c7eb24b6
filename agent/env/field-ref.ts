import type { Pod } from 'kubernetes-types/core/v1.js';

/** Addresses the downward API reports that are not in the pod object the kubelet holds yet. */
export interface PodAddresses {
  hostIPs: string[];
  podIPs: string[];
}

/** Thrown for a fieldPath the downward API does not support; the caller words the failure. */
export class FieldPathError extends Error {}

/** Go's %q for the strings labels and annotations hold: printable text as is, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (cp < 0x20 || cp === 0x7f) out += `\\x${cp.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** All labels or annotations as the downward API prints them: `key="value"` lines sorted by key. */
export function formatMap(m: Record<string, string> | undefined): string {
  return Object.keys(m ?? {})
    .sort()
    .map((k) => `${k}=${goQuote(m?.[k] ?? '')}`)
    .join('\n');
}

const SUBSCRIPT = /^metadata\.(labels|annotations)\['(.*)'\]$/;

/**
 * The value of a downward API fieldRef: metadata (name, namespace, uid, labels, annotations, one
 * label or annotation by key), spec.nodeName, spec.serviceAccountName and the pod and host IPs.
 */
export function podFieldValue(pod: Pod, fieldPath: string, addresses: PodAddresses): string {
  const m = pod.metadata ?? {};
  switch (fieldPath) {
    case 'metadata.name':
      return m.name ?? '';
    case 'metadata.namespace':
      return m.namespace ?? '';
    case 'metadata.uid':
      return m.uid ?? '';
    case 'metadata.labels':
      return formatMap(m.labels);
    case 'metadata.annotations':
      return formatMap(m.annotations);
    case 'spec.nodeName':
      return pod.spec?.nodeName ?? '';
    case 'spec.serviceAccountName':
      return pod.spec?.serviceAccountName ?? '';
    case 'status.hostIP':
      return addresses.hostIPs[0] ?? '';
    case 'status.hostIPs':
      return addresses.hostIPs.join(',');
    case 'status.podIP':
      return addresses.podIPs[0] ?? '';
    case 'status.podIPs':
      return addresses.podIPs.join(',');
  }
  const sub = SUBSCRIPT.exec(fieldPath);
  if (sub) {
    const map = sub[1] === 'labels' ? m.labels : m.annotations;
    return map?.[sub[2] ?? ''] ?? '';
  }
  throw new FieldPathError(`unsupported fieldPath: ${fieldPath}`);
}
