import { createHash } from 'node:crypto';
import type { ConfigMap, DownwardAPIVolumeFile, KeyToPath, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { type PodAddresses, podFieldValue } from '../env/field-ref.js';
import { type Allocatable, containerResourceValue } from '../env/resource-field-ref.js';
import type { Payload } from './atomic-writer.js';

export const DEFAULT_MODE = 0o644;

function project(
  data: Map<string, Buffer>,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
  missingKey: (key: string) => string,
): Payload {
  const out: Payload = new Map();
  if (!items || items.length === 0) {
    for (const [k, v] of data) out.set(k, { data: v, mode: defaultMode });
    return out;
  }
  for (const item of items) {
    const v = data.get(item.key);
    if (v === undefined) {
      if (optional) continue;
      throw new Error(missingKey(item.key));
    }
    out.set(item.path, { data: v, mode: item.mode ?? defaultMode });
  }
  return out;
}

/** The files of a configMap volume or projection: data and binaryData keys, or the chosen items. */
export function configMapPayload(
  cm: ConfigMap,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
): Payload {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(cm.data ?? {})) data.set(k, Buffer.from(v, 'utf8'));
  for (const [k, v] of Object.entries(cm.binaryData ?? {})) data.set(k, Buffer.from(v, 'base64'));
  return project(
    data,
    items,
    defaultMode,
    optional,
    (k) => `configmap references non-existent config key: ${k}`,
  );
}

export function secretPayload(
  s: Secret,
  items: KeyToPath[] | undefined,
  defaultMode: number,
  optional: boolean,
): Payload {
  const data = new Map<string, Buffer>();
  for (const [k, v] of Object.entries(s.data ?? {})) data.set(k, Buffer.from(v, 'base64'));
  return project(data, items, defaultMode, optional, (k) => `references non-existent secret key: ${k}`);
}

export function downwardApiPayload(
  pod: Pod,
  items: DownwardAPIVolumeFile[] | undefined,
  defaultMode: number,
  addresses: PodAddresses,
  allocatable: Allocatable,
): Payload {
  const out: Payload = new Map();
  for (const item of items ?? []) {
    let value = '';
    if (item.fieldRef) value = podFieldValue(pod, item.fieldRef.fieldPath, addresses);
    else if (item.resourceFieldRef)
      value = containerResourceValue(pod, item.resourceFieldRef, undefined, allocatable);
    out.set(item.path, { data: Buffer.from(value, 'utf8'), mode: item.mode ?? defaultMode });
  }
  return out;
}

/** A stable digest of a payload, to skip disk work when a volume's content did not change. */
export function payloadFingerprint(p: Payload): string {
  const h = createHash('sha256');
  for (const [k, f] of [...p].sort(([a], [b]) => (a < b ? -1 : 1))) {
    h.update(`${k}\0${f.mode}\0${f.data.length}\0`);
    h.update(f.data);
  }
  return h.digest('hex');
}
