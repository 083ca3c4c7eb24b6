import { badRequest } from '../errors.js';
import type { KubeObject } from '../object.js';
import { goTypeName, isJsonObject, type JsonObject, type JsonValue, setOwn } from './json-value.js';

/**
 * Applies an RFC 7386 JSON merge patch (`application/merge-patch+json`) to a copy of
 * `original`: objects merge key by key, `null` removes a key, anything else (lists included)
 * replaces the value.
 */
export function applyMergePatch(original: KubeObject, patch: unknown): KubeObject {
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${goTypeName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  return mergeObjects(structuredClone(original) as unknown as JsonObject, patch) as unknown as KubeObject;
}

/**
 * The RFC 7386 MergePatch function with the null pruning of the json-patch library
 * kube-apiserver uses: a value that lands where there was nothing, or no object, loses its
 * nulls at every depth (inside list elements too). Never modifies its arguments (the result
 * may share their parts).
 */
export function mergePatchValue(target: JsonValue | undefined, patch: JsonValue): JsonValue {
  if (!isJsonObject(target)) return pruneNulls(patch);
  if (!isJsonObject(patch)) return structuredClone(patch);
  return mergeObjects(target, patch);
}

function mergeObjects(target: JsonObject, patch: JsonObject): JsonObject {
  const out: JsonObject = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) {
      delete out[key];
    } else {
      const current = Object.hasOwn(out, key) ? out[key] : undefined;
      setOwn(out, key, mergePatchValue(current, value));
    }
  }
  return out;
}

function pruneNulls(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return v.map((e) => (e === null ? e : pruneNulls(e)));
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(v)) {
    if (value !== null) setOwn(out, key, pruneNulls(value));
  }
  return out;
}
