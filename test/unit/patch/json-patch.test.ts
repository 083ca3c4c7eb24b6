import { describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { applyPatch, MAX_JSON_PATCH_OPERATIONS } from '../../../api/patch/index.js';

const JSON_PATCH = 'application/json-patch+json';
const CM = { group: '', version: 'v1', kind: 'ConfigMap' };

function configMap(): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'cfg', finalizers: ['x.io/hold'] },
    data: { a: '1', b: '2' },
  };
}

function patchError(patch: unknown, original = configMap()): StatusError {
  try {
    applyPatch(JSON_PATCH, original, patch, CM);
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('patch applied');
}

describe('JSON patch', () => {
  it('adds, replaces and removes values', () => {
    const patched = applyPatch(
      JSON_PATCH,
      configMap(),
      [
        { op: 'add', path: '/data/c', value: '3' },
        { op: 'replace', path: '/data/a', value: '9' },
        { op: 'remove', path: '/data/b' },
        { op: 'remove', path: '/metadata/finalizers' },
        { op: 'add', path: '/metadata/labels', value: { 'app.kubernetes.io/name': 'x' } },
      ],
      CM,
    );
    expect(patched.data).toEqual({ a: '9', c: '3' });
    expect(patched.metadata.finalizers).toBeUndefined();
    expect(patched.metadata.labels).toEqual({ 'app.kubernetes.io/name': 'x' });
  });

  it('escapes ~1 in paths and appends to lists with -', () => {
    const patched = applyPatch(
      JSON_PATCH,
      configMap(),
      [
        { op: 'add', path: '/metadata/annotations', value: {} },
        { op: 'add', path: '/metadata/annotations/example.com~1note', value: 'hi' },
        { op: 'add', path: '/metadata/finalizers/-', value: 'y.io/hold' },
      ],
      CM,
    );
    expect(patched.metadata.annotations).toEqual({ 'example.com/note': 'hi' });
    expect(patched.metadata.finalizers).toEqual(['x.io/hold', 'y.io/hold']);
  });

  it('applies the rest of the patch when a test succeeds', () => {
    const patched = applyPatch(
      JSON_PATCH,
      configMap(),
      [
        { op: 'test', path: '/data/a', value: '1' },
        { op: 'replace', path: '/data/a', value: '2' },
      ],
      CM,
    );
    expect(patched.data).toEqual({ a: '2', b: '2' });
  });

  it('answers a failed test with 422 and leaves the original alone', () => {
    const original = configMap();
    const err = patchError(
      [
        { op: 'replace', path: '/data/b', value: 'changed' },
        { op: 'test', path: '/data/a', value: '2' },
      ],
      original,
    );
    expect(err.code).toBe(422);
    expect(err.reason).toBe('Invalid');
    expect(err.message).toBe('the server rejected our request due to an error in our request');
    expect(err.toStatus().details?.causes?.[0]?.message).toBe('testing value /data/a failed: test failed');
    expect(original.data).toEqual({ a: '1', b: '2' });
  });

  it('answers a path that does not exist with 422', () => {
    for (const op of [
      { op: 'replace', path: '/metadata/finalizers/3', value: 'x' },
      { op: 'remove', path: '/spec/missing' },
      { op: 'add', path: '/spec/deep/er', value: 1 },
      { op: 'move', from: '/data/nope', path: '/data/c' },
    ]) {
      const err = patchError([op]);
      expect(err.code, JSON.stringify(op)).toBe(422);
      expect(err.toStatus().details?.causes?.[0]?.message).toMatch(
        /does not apply|nonexistent key|invalid index/,
      );
    }
  });

  it('lets replace set a key the object lacks, as kube-apiserver’s json-patch library does', () => {
    const patched = applyPatch(
      JSON_PATCH,
      configMap(),
      [{ op: 'replace', path: '/data/new', value: 'x' }],
      CM,
    );
    expect(patched.data).toEqual({ a: '1', b: '2', new: 'x' });
  });

  it('words index and move failures as kube-apiserver does', () => {
    expect(
      patchError([{ op: 'add', path: '/metadata/finalizers/5', value: 'y' }]).toStatus().details?.causes?.[0]
        ?.message,
    ).toBe(
      "error in add for path: '/metadata/finalizers/5': Unable to access invalid index: 5: invalid index referenced",
    );
    expect(
      patchError([{ op: 'move', from: '/data/nope', path: '/data/c' }]).toStatus().details?.causes?.[0]
        ?.message,
    ).toBe("error in move for path: 'nope': Unable to remove nonexistent key: nope: missing value");
  });

  it('answers an unknown operation with 422', () => {
    const err = patchError([{ op: 'frobnicate', path: '/data/a' }]);
    expect(err.code).toBe(422);
    expect(err.toStatus().details?.causes?.[0]?.message).toBe('Unexpected kind: frobnicate');
  });

  it('answers a body that is not a list of operations with 400', () => {
    expect(patchError({ data: { a: '2' } }).code).toBe(400);
    expect(patchError(['add']).code).toBe(400);
  });

  it('refuses more operations than kube-apiserver allows with 413', () => {
    const ops = Array.from({ length: MAX_JSON_PATCH_OPERATIONS + 1 }, () => ({
      op: 'test',
      path: '/data/a',
      value: '1',
    }));
    expect(patchError(ops).code).toBe(413);
  });

  it('copies and moves values', () => {
    const patched = applyPatch(
      JSON_PATCH,
      configMap(),
      [
        { op: 'copy', from: '/data/a', path: '/data/c' },
        { op: 'move', from: '/data/b', path: '/data/d' },
      ],
      CM,
    );
    expect(patched.data).toEqual({ a: '1', c: '1', d: '2' });
  });
});
