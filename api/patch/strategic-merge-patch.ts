import { badRequest, type StatusError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { goFormat, goReflectType } from './go-format.js';
import { goTypeName, isJsonObject, type JsonObject, type JsonValue, setOwn } from './json-value.js';
import { type FieldPatchMeta, fieldPatchMeta, hasMergeStrategy, patchTypeOfKind } from './merge-keys.js';
import { patchDoesNotApply, unclassifiedPatchError } from './patch-errors.js';

const DIRECTIVE = '$patch';
const RETAIN_KEYS = '$retainKeys';
const SET_ORDER_PREFIX = '$setElementOrder/';
const DELETE_PRIMITIVE_PREFIX = '$deleteFromPrimitiveList/';

// The errors kube-apiserver names (k8s.io/apimachinery mergepatch) and answers as 400 or 422.
const BAD_PRIMITIVE_LIST = 'invalid patch format of primitive list';
const BAD_RETAIN_KEYS = 'invalid patch format of retainKeys';
const BAD_SET_ORDER = 'invalid patch format of setElementOrder list';
const NO_LIST_OF_LISTS = 'lists of lists are not supported';

/**
 * Applies a strategic merge patch (`application/strategic-merge-patch+json`) to a copy of
 * `original`, the way kube-apiserver does for built-in kinds: maps merge, `null` removes a
 * key, lists declared `merge` are merged (by their merge key for lists of objects, as a set
 * for primitives), other lists are replaced; the directives `$patch`, `$retainKeys`,
 * `$setElementOrder/<list>` and `$deleteFromPrimitiveList/<list>` are honoured.
 * Kinds without patch metadata get the same treatment with no list declared `merge`.
 */
export function applyStrategicMergePatch(
  original: KubeObject,
  patch: unknown,
  gvk: { group: string; kind: string },
): KubeObject {
  if (!isJsonObject(patch)) {
    throw badRequest(
      `json: cannot unmarshal ${goTypeName(patch)} into Go value of type map[string]interface {}`,
    );
  }
  const schema = patchTypeOfKind(gvk.group, gvk.kind);
  const merged = mergeMap(structuredClone(original) as unknown as JsonObject, structuredClone(patch), schema);
  return merged as unknown as KubeObject;
}

/** Merges `patch` into `original`, both owned by the caller (both are modified). */
function mergeMap(original: JsonObject, patch: JsonObject, schema: string | undefined): JsonObject {
  if (Object.hasOwn(patch, DIRECTIVE)) return mapDirective(patch);
  applyRetainKeys(original, patch);
  mergeOrderedLists(original, patch, schema);

  for (const [patchKey, value] of Object.entries(patch)) {
    let key = patchKey;
    let isDeleteList = false;
    if (patchKey.startsWith(DELETE_PRIMITIVE_PREFIX)) {
      key = patchKey.slice(DELETE_PRIMITIVE_PREFIX.length);
      if (!key) throw badRequest(BAD_PRIMITIVE_LIST);
      isDeleteList = true;
    }
    if (value === null) {
      delete original[key];
      continue;
    }
    if (!Object.hasOwn(original, key) || kindOf(original[key]) !== kindOf(value)) {
      if (!isDeleteList) setOwn(original, key, fresh(value));
      continue;
    }
    const current = original[key];
    const meta = fieldPatchMeta(schema, key);
    if (isJsonObject(current) && isJsonObject(value)) {
      setOwn(original, key, meta.strategy === 'replace' ? fresh(value) : mergeMap(current, value, meta.type));
    } else if (Array.isArray(current) && Array.isArray(value)) {
      setOwn(original, key, mergeListField(current, value, meta, isDeleteList));
    } else {
      setOwn(original, key, value);
    }
  }
  return original;
}

/** `$patch` in a map: `replace` takes the patch as the whole map, `delete` empties it. */
function mapDirective(patch: JsonObject): JsonObject {
  const directive = patch[DIRECTIVE];
  if (directive === 'replace') {
    delete patch[DIRECTIVE];
    return fresh(patch) as JsonObject;
  }
  if (directive === 'delete') return {};
  throw unclassifiedPatchError(`unknown patch type: ${show(directive)} in map: ${show(patch)}`);
}

/**
 * `$retainKeys`: keys of `original` not listed are cleared; every key the patch sets must be
 * listed.
 */
function applyRetainKeys(original: JsonObject, patch: JsonObject): void {
  if (!Object.hasOwn(patch, RETAIN_KEYS)) return;
  const listed = patch[RETAIN_KEYS];
  delete patch[RETAIN_KEYS];
  if (!Array.isArray(listed)) throw badRequest(BAD_RETAIN_KEYS);
  const keep = new Set(listed.filter((k): k is string => typeof k === 'string'));
  for (const [key, value] of Object.entries(patch)) {
    if (value === null || key.startsWith(DELETE_PRIMITIVE_PREFIX) || key.startsWith(SET_ORDER_PREFIX))
      continue;
    if (!keep.has(key)) throw badRequest(BAD_RETAIN_KEYS);
  }
  for (const key of Object.keys(original)) {
    if (!keep.has(key)) delete original[key];
  }
}

/**
 * `$setElementOrder/<list>`: merges the list (if the patch has it) and orders the result: the
 * listed elements in the listed order, the elements only the server has kept in their
 * relative place. Both the directive and the list leave the patch.
 */
function mergeOrderedLists(original: JsonObject, patch: JsonObject, schema: string | undefined): void {
  for (const [patchKey, order] of Object.entries(patch)) {
    if (!patchKey.startsWith(SET_ORDER_PREFIX)) continue;
    delete patch[patchKey];
    const key = patchKey.slice(SET_ORDER_PREFIX.length);
    if (!key) throw badRequest(BAD_SET_ORDER);
    if (!Array.isArray(order)) throw badArgType(order);
    const hasOriginal = Object.hasOwn(original, key);
    const hasPatch = Object.hasOwn(patch, key);
    if (!hasOriginal && !hasPatch) continue;
    const originalList = hasOriginal ? asList(original[key]) : [];
    const patchList = hasPatch ? asList(patch[key]) : [];
    const meta = fieldPatchMeta(schema, key);
    const mergeKey = meta.mergeKey ?? '';
    validateAgainstOrder(patchList, order, mergeKey);

    let merged: JsonValue[];
    if (!hasPatch) merged = originalList;
    else if (!hasOriginal) merged = freshList(patchList);
    else merged = mergeListField(originalList, patchList, meta, false);
    delete patch[key];

    if (!hasMergeStrategy(meta) || merged.length === 0) {
      setOwn(original, key, merged);
      continue;
    }
    const [patchItems, serverOnly] = partitionByPresence(merged, order, mergeKey);
    setOwn(original, key, normalizeOrder(patchItems, serverOnly, order, originalList, mergeKey));
  }
}

function mergeListField(
  original: JsonValue[],
  patch: JsonValue[],
  meta: FieldPatchMeta,
  isDeleteList: boolean,
): JsonValue[] {
  if (!hasMergeStrategy(meta) && !isDeleteList) return freshList(patch);
  return mergeList(original, patch, meta, isDeleteList);
}

function mergeList(
  original: JsonValue[],
  patch: JsonValue[],
  meta: FieldPatchMeta,
  isDeleteList: boolean,
): JsonValue[] {
  if (original.length === 0 && patch.length === 0) return original;
  const elementKind = listElementKind(original, patch);
  const mergeKey = meta.mergeKey ?? '';

  if (elementKind !== 'object') {
    if (isDeleteList) {
      const drop = new Set(patch);
      return original.filter((v) => !drop.has(v));
    }
    const merged = [...new Set([...original, ...patch])];
    const [patchItems, serverOnly] = partitionByPresence(merged, patch, '');
    return normalizeOrder(patchItems, serverOnly, patch, original, '');
  }

  if (!mergeKey)
    throw unclassifiedPatchError(`cannot merge lists without merge key for ${meta.type ?? 'list'}`);
  const [base, rest] = applyElementDirectives(original, patch, mergeKey);
  const merged = mergeByKey(base, rest, mergeKey, meta.type);
  const [patchItems, serverOnly] = partitionByPresence(merged, rest, mergeKey);
  return normalizeOrder(patchItems, serverOnly, rest, base, mergeKey);
}

/**
 * `$patch` on list elements: `delete` removes the elements with that merge key value,
 * `replace` makes the other patch elements the whole list. Returns the list to merge into and
 * the patch elements left to merge.
 */
function applyElementDirectives(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  let base = original;
  const rest: JsonValue[] = [];
  let replace = false;
  for (const element of patch) {
    const item = element as JsonObject;
    if (!Object.hasOwn(item, DIRECTIVE)) {
      rest.push(item);
      continue;
    }
    const directive = item[DIRECTIVE];
    if (directive === 'delete') {
      if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
      const value = item[mergeKey];
      base = base.filter((v) => !(isJsonObject(v) && sameKeyValue(v[mergeKey], value)));
    } else if (directive === 'replace') {
      replace = true;
    } else if (directive === 'merge') {
      throw unclassifiedPatchError('merging lists cannot yet be specified in the patch');
    } else {
      throw unclassifiedPatchError(`unknown patch type: ${show(directive)} in map: ${show(item)}`);
    }
  }
  return replace ? [freshList(rest), []] : [base, rest];
}

/** Merges each patch element into the original element with the same key, or appends it. */
function mergeByKey(
  original: JsonValue[],
  patch: JsonValue[],
  mergeKey: string,
  type: string | undefined,
): JsonValue[] {
  const out = [...original];
  for (const element of patch) {
    const item = element as JsonObject;
    if (!Object.hasOwn(item, mergeKey)) throw noMergeKey(item, mergeKey);
    const at = indexOfKey(out, item[mergeKey], mergeKey);
    if (at >= 0) out[at] = mergeMap(out[at] as JsonObject, item, type);
    else out.push(fresh(item));
  }
  return out;
}

/**
 * `$setElementOrder` must list the patch's elements in the patch's order (elements being
 * deleted and other directive elements aside).
 */
function validateAgainstOrder(patchList: JsonValue[], order: JsonValue[], mergeKey: string): void {
  if (patchList.length === 0 || order.length === 0) return;
  const items = mergeKey
    ? patchList.filter((v) => !(isJsonObject(v) && v[DIRECTIVE] === 'delete'))
    : patchList;
  let p = 0;
  let o = 0;
  while (p < items.length && o < order.length) {
    if (isJsonObject(items[p]) && Object.hasOwn(items[p] as JsonObject, DIRECTIVE)) {
      p++;
      continue;
    }
    if (sameElement(items[p], order[o], mergeKey)) p++;
    o++;
  }
  if (p < items.length) {
    throw unclassifiedPatchError(
      `The order in patch list:\n${show(patchList)}\n doesn't match $setElementOrder list:\n${show(order)}\n`,
    );
  }
}

/** Splits `list` into the elements `by` names (by merge key, or by value) and the others. */
function partitionByPresence(
  list: JsonValue[],
  by: JsonValue[],
  mergeKey: string,
): [JsonValue[], JsonValue[]] {
  const present: JsonValue[] = [];
  const absent: JsonValue[] = [];
  for (const v of list) {
    if (mergeKey && !(isJsonObject(v) && Object.hasOwn(v, mergeKey))) throw noMergeKey(v, mergeKey);
    (indexOfElement(by, v, mergeKey) >= 0 ? present : absent).push(v);
  }
  return [present, absent];
}

/**
 * Orders `patchItems` by `patchOrder` and `serverOnly` by `serverOrder`, then interleaves
 * them: a server-only element goes before a patch element only when the server's order puts
 * it first; otherwise patch elements come first.
 */
function normalizeOrder(
  patchItems: JsonValue[],
  serverOnly: JsonValue[],
  patchOrder: JsonValue[],
  serverOrder: JsonValue[],
  mergeKey: string,
): JsonValue[] {
  const right = sortByOrder(patchItems, patchOrder, mergeKey);
  const left = sortByOrder(serverOnly, serverOrder, mergeKey);
  const out: JsonValue[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length || j < right.length) {
    if (j >= right.length) out.push(left[i++]);
    else if (i >= left.length) out.push(right[j++]);
    else {
      const li = indexOfElement(serverOrder, left[i], mergeKey);
      const ri = indexOfElement(serverOrder, right[j], mergeKey);
      if (li >= 0 && ri >= 0 && li < ri) out.push(left[i++]);
      else out.push(right[j++]);
    }
  }
  return out;
}

/** Stable sort by position in `order`; elements `order` lacks go last, elements being deleted after them. */
function sortByOrder(list: JsonValue[], order: JsonValue[], mergeKey: string): JsonValue[] {
  if (mergeKey) {
    for (const v of [...list, ...order]) {
      if (!(isJsonObject(v) && Object.hasOwn(v, mergeKey))) throw noMergeKey(v, mergeKey);
    }
  }
  const deleted = mergeKey ? list.filter((v) => (v as JsonObject)[DIRECTIVE] === 'delete') : [];
  const kept = mergeKey ? list.filter((v) => (v as JsonObject)[DIRECTIVE] !== 'delete') : list;
  const ranked = kept.map((v, at) => ({ v, at, rank: indexOfElement(order, v, mergeKey) }));
  ranked.sort((a, b) => {
    const ra = a.rank < 0 ? Number.MAX_SAFE_INTEGER : a.rank;
    const rb = b.rank < 0 ? Number.MAX_SAFE_INTEGER : b.rank;
    return ra - rb || a.at - b.at;
  });
  return [...ranked.map((r) => r.v), ...deleted];
}

function indexOfElement(list: JsonValue[], item: JsonValue, mergeKey: string): number {
  if (!mergeKey) return list.indexOf(item);
  if (!isJsonObject(item)) return -1;
  return indexOfKey(list, item[mergeKey], mergeKey);
}

function indexOfKey(list: JsonValue[], value: JsonValue, mergeKey: string): number {
  return list.findIndex(
    (v) => isJsonObject(v) && Object.hasOwn(v, mergeKey) && sameKeyValue(v[mergeKey], value),
  );
}

function sameElement(a: JsonValue, b: JsonValue, mergeKey: string): boolean {
  if (!mergeKey) return a === b;
  if (!isJsonObject(a) || !isJsonObject(b)) {
    throw unclassifiedPatchError(
      `expected a map[string]interface {}, but received a ${goReflectType(isJsonObject(a) ? b : a)}`,
    );
  }
  return sameKeyValue(a[mergeKey], b[mergeKey]);
}

/** Merge key values are scalars; Go compares them with ==. */
function sameKeyValue(a: JsonValue | undefined, b: JsonValue | undefined): boolean {
  return a !== undefined && a === b;
}

type ValueKind = 'object' | 'array' | 'string' | 'number' | 'boolean' | 'null';

function kindOf(v: JsonValue | undefined): ValueKind {
  if (v === null || v === undefined) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v as 'object' | 'string' | 'number' | 'boolean';
}

/** All elements of both lists must share one kind; a list as the first element is refused. */
function listElementKind(a: JsonValue[], b: JsonValue[]): ValueKind {
  let kind: ValueKind | undefined;
  for (const v of [...a, ...b]) {
    const k = kindOf(v);
    if (kind === undefined) {
      if (k === 'array') throw patchDoesNotApply(NO_LIST_OF_LISTS);
      kind = k;
    } else if (kind !== k) {
      throw unclassifiedPatchError(`list element types are not identical: ${show([a, b])}`);
    }
  }
  return kind ?? 'null';
}

function asList(v: JsonValue | undefined): JsonValue[] {
  if (!Array.isArray(v)) throw badArgType(v);
  return v;
}

function badArgType(v: JsonValue | undefined): StatusError {
  return unclassifiedPatchError(`expected a []interface {}, but received a ${goReflectType(v)}`);
}

/**
 * A patch value that lands where the original had nothing comparable: nulls are dropped,
 * and so are directives, which mean nothing without something to apply to.
 */
function fresh(v: JsonValue): JsonValue {
  if (Array.isArray(v)) return freshList(v);
  if (!isJsonObject(v)) return v;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(v)) {
    if (value === null || isDirectiveKey(key)) continue;
    setOwn(out, key, fresh(value));
  }
  return out;
}

function freshList(list: JsonValue[]): JsonValue[] {
  return list.filter((v) => !(isJsonObject(v) && Object.hasOwn(v, DIRECTIVE))).map(fresh);
}

function isDirectiveKey(key: string): boolean {
  return (
    key === DIRECTIVE ||
    key === RETAIN_KEYS ||
    key.startsWith(SET_ORDER_PREFIX) ||
    key.startsWith(DELETE_PRIMITIVE_PREFIX)
  );
}

function noMergeKey(v: JsonValue, mergeKey: string): StatusError {
  return unclassifiedPatchError(`map: ${show(v)} does not contain declared merge key: ${mergeKey}`);
}

function show(v: unknown): string {
  return goFormat(v);
}
