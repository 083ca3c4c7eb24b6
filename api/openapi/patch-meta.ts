import { PATCH_METADATA } from '../patch/merge-keys.js';
import type { Definitions } from './schema.js';

/**
 * Strategic-merge-patch metadata (the Go struct tags `patchMergeKey`/`patchStrategy`) that the
 * .d.ts files cannot carry. kubectl reads these extensions from OpenAPI when it computes an apply
 * patch; they come from the same table the server's strategic merge patch uses, so the two agree.
 * Types are matched by short name (`PodSpec` -> `io.k8s.api.core.v1.PodSpec`).
 */
export function applyPatchMeta(defs: Definitions): void {
  const byShortName = new Map<string, string[]>();
  for (const name of Object.keys(defs)) {
    const short = name.slice(name.lastIndexOf('.') + 1);
    byShortName.set(short, [...(byShortName.get(short) ?? []), name]);
  }
  for (const [type, fields] of Object.entries(PATCH_METADATA)) {
    for (const [property, meta] of Object.entries(fields)) {
      if (!meta.strategy && !meta.mergeKey) continue;
      for (const def of byShortName.get(type) ?? []) {
        const prop = defs[def]?.properties?.[property];
        if (!prop) continue;
        if (meta.mergeKey) prop['x-kubernetes-patch-merge-key'] = meta.mergeKey;
        if (meta.strategy) prop['x-kubernetes-patch-strategy'] = meta.strategy;
      }
    }
  }
}
