import { badRequest, unsupportedMediaType } from '../errors.js';
import type { KubeObject } from '../object.js';
import { applyJsonPatch } from './json-patch.js';
import { goTypeName, isJsonObject } from './json-value.js';
import { applyMergePatch } from './merge-patch.js';
import { applyStrategicMergePatch } from './strategic-merge-patch.js';

/** The patch media types this module applies (server-side apply is handled elsewhere). */
export const PATCH_CONTENT_TYPES = [
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

/**
 * Applies a PATCH body (already parsed JSON) of the given Content-Type to `original` and
 * returns the patched object; `original` is never modified. Other media types, server-side
 * apply's included, are 415; patches that are malformed or do not apply are StatusErrors
 * shaped as kube-apiserver's.
 */
export function applyPatch(
  contentType: string,
  original: KubeObject,
  patch: unknown,
  gvk: { group: string; version: string; kind: string },
): KubeObject {
  const type = contentType.split(';')[0].trim().toLowerCase();
  let patched: KubeObject;
  switch (type) {
    case 'application/json-patch+json':
      patched = applyJsonPatch(original, patch);
      break;
    case 'application/merge-patch+json':
      patched = applyMergePatch(original, patch);
      break;
    case 'application/strategic-merge-patch+json':
      patched = applyStrategicMergePatch(original, patch, gvk);
      break;
    default:
      throw unsupportedMediaType(contentType);
  }
  return withMetadata(patched);
}

/** A patch may remove `metadata` (the object is then nameless) but not make it a non-object. */
function withMetadata(obj: KubeObject): KubeObject {
  if (obj.metadata === undefined) return { ...obj, metadata: {} };
  if (!isJsonObject(obj.metadata)) {
    throw badRequest(
      `json: cannot unmarshal ${goTypeName(obj.metadata)} into Go struct field .metadata of type v1.ObjectMeta`,
    );
  }
  return obj;
}
