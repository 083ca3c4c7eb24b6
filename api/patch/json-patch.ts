import jsonpatch from 'fast-json-patch';
import { badRequest, StatusError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { goTypeName, isJsonObject } from './json-value.js';
import { patchDoesNotApply } from './patch-errors.js';

/** kube-apiserver refuses longer JSON patches (maxJSONPatchOperations). */
export const MAX_JSON_PATCH_OPERATIONS = 10000;

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

type Operation = jsonpatch.Operation;

/**
 * Applies an RFC 6902 JSON patch (`application/json-patch+json`) to a copy of `original`.
 * A body that is not a list of operations is 400; an operation that does not apply (a missing
 * path, a failed `test`) is the generic 422 kube-apiserver answers, with the detail as cause.
 */
export function applyJsonPatch(original: KubeObject, patch: unknown): KubeObject {
  if (!Array.isArray(patch)) {
    throw badRequest(`json: cannot unmarshal ${goTypeName(patch)} into Go value of type jsonpatch.Patch`);
  }
  if (patch.length > MAX_JSON_PATCH_OPERATIONS) {
    throw new StatusError(
      413,
      'RequestEntityTooLarge',
      `The allowed maximum operations in a JSON patch is ${MAX_JSON_PATCH_OPERATIONS}, got ${patch.length}`,
    );
  }
  for (const op of patch) {
    if (!isJsonObject(op)) {
      throw badRequest(`json: cannot unmarshal ${goTypeName(op)} into Go value of type jsonpatch.Operation`);
    }
  }
  let doc: unknown = structuredClone(original);
  for (const raw of structuredClone(patch) as Record<string, unknown>[]) {
    if (typeof raw.op !== 'string' || !OPS.has(raw.op))
      throw patchDoesNotApply(`Unexpected kind: ${String(raw.op ?? '')}`);
    const op = replaceOfMissingKeyAsAdd(doc, raw as unknown as Operation);
    try {
      doc = jsonpatch.applyOperation(doc, op, true, true, true).newDocument;
    } catch (e) {
      throw patchDoesNotApply(describeFailure(op, e));
    }
  }
  if (!isJsonObject(doc))
    throw badRequest(
      `json: cannot unmarshal ${goTypeName(doc)} into Go value of type map[string]interface {}`,
    );
  return doc as KubeObject;
}

/**
 * The json-patch library kube-apiserver uses (evanphx v4) lets `replace` set a key an object
 * does not have yet, and clients rely on it; for list indexes it stays strict.
 */
function replaceOfMissingKeyAsAdd(doc: unknown, op: Operation): Operation {
  if (op.op !== 'replace' || typeof op.path !== 'string' || !op.path.startsWith('/')) return op;
  const slash = op.path.lastIndexOf('/');
  const key = op.path
    .slice(slash + 1)
    .replaceAll('~1', '/')
    .replaceAll('~0', '~');
  let parent: unknown;
  try {
    parent = jsonpatch.getValueByPointer(doc, op.path.slice(0, slash));
  } catch {
    return op;
  }
  if (!isJsonObject(parent) || Object.hasOwn(parent, key)) return op;
  return { op: 'add', path: op.path, value: op.value };
}

/** Messages in the words of the Go json-patch library kube-apiserver uses. */
function describeFailure(op: Operation, e: unknown): string {
  const path = JSON.stringify(op.path);
  const code = e instanceof jsonpatch.JsonPatchError ? e.name : '';
  switch (code) {
    case 'TEST_OPERATION_FAILED':
      return `testing value ${op.path} failed: test failed`;
    case 'OPERATION_PATH_UNRESOLVABLE':
    case 'OPERATION_PATH_CANNOT_ADD':
      return `${op.op} operation does not apply: doc is missing path: ${path}: missing value`;
    case 'OPERATION_FROM_UNRESOLVABLE':
      if (op.op === 'move') {
        const from = String((op as { from?: unknown }).from ?? '');
        const key = from.slice(from.lastIndexOf('/') + 1);
        return `error in move for path: '${key}': Unable to remove nonexistent key: ${key}: missing value`;
      }
      return `${op.op} operation does not apply: doc is missing from path: ${JSON.stringify((op as { from?: unknown }).from ?? '')}: missing value`;
    case 'OPERATION_FROM_REQUIRED':
      return `${op.op} operation does not apply: doc is missing from path: ${JSON.stringify((op as { from?: unknown }).from ?? '')}: missing value`;
    case 'OPERATION_VALUE_REQUIRED':
    case 'OPERATION_VALUE_CANNOT_CONTAIN_UNDEFINED':
      return `${op.op} operation does not apply: missing value`;
    case 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX':
    case 'OPERATION_VALUE_OUT_OF_BOUNDS': {
      const index = op.path.slice(op.path.lastIndexOf('/') + 1);
      return `error in ${op.op} for path: '${op.path}': Unable to access invalid index: ${index}: invalid index referenced`;
    }
    case 'OPERATION_PATH_INVALID':
      return `${op.op} operation does not apply: invalid path: ${path}`;
    default:
      return `${op.op} operation does not apply: ${e instanceof Error ? e.message : String(e)}`;
  }
}
