import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import { decodeContinue, encodeContinue } from '../../../control-plane/storage/continue-token.js';
import { resourcePrefixOf } from '../../../control-plane/storage/etcd-store.js';
import { decodeValue, encodeObject, prefixEnd, sameObject } from '../../../control-plane/storage/kv-codec.js';

describe('stored form', () => {
  it('drops resourceVersion when writing and sets it from the revision when reading', () => {
    const bytes = encodeObject({
      kind: 'Pod',
      metadata: { name: 'a', resourceVersion: '12' },
      spec: { x: 1 },
    });
    expect(JSON.parse(bytes.toString()).metadata).toEqual({ name: 'a' });
    expect(decodeValue(bytes, '40').metadata).toEqual({ name: 'a', resourceVersion: '40' });
  });

  it('compares objects structurally, ignoring key order and resourceVersion', () => {
    expect(
      sameObject(
        { metadata: { name: 'a', resourceVersion: '1' }, b: 1, c: [1, { d: 2 }] },
        { c: [1, { d: 2 }], b: 1, metadata: { name: 'a' } },
      ),
    ).toBe(true);
    expect(sameObject({ metadata: { name: 'a' }, c: [1, 2] }, { metadata: { name: 'a' }, c: [2, 1] })).toBe(
      false,
    );
    expect(sameObject({ metadata: { name: 'a' }, x: undefined }, { metadata: { name: 'a' } })).toBe(true);
  });

  it('computes the end of a prefix range', () => {
    expect(prefixEnd('/registry/pods/').toString()).toBe('/registry/pods0');
    expect(prefixEnd('a\xff').equals(Buffer.from([0x61, 0xc3, 0xc0]))).toBe(true);
  });
});

describe('continue tokens', () => {
  it('round-trip the snapshot revision and next key under the prefix', () => {
    const token = encodeContinue(42, '/registry/core/pods/ns/b\x00', '/registry/core/pods/');
    expect(JSON.parse(Buffer.from(token, 'base64url').toString())).toEqual({
      v: 'meta.k8s.io/v1',
      rv: 42,
      start: 'ns/b\x00',
    });
    expect(decodeContinue(token, '/registry/core/pods/')).toEqual({
      rv: 42,
      startKey: '/registry/core/pods/ns/b\x00',
    });
  });

  it('rejects tokens that are malformed or escape the prefix', () => {
    const bad = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    for (const t of [
      '%%%',
      bad({ v: 'x', rv: 1, start: 'a' }),
      bad({ v: 'meta.k8s.io/v1', rv: 0, start: 'a' }),
      bad({ v: 'meta.k8s.io/v1', rv: 3, start: '../secrets/x' }),
    ]) {
      expect(() => decodeContinue(t, '/registry/core/pods/')).toThrow(StatusError);
    }
  });
});

describe('resourcePrefixOf', () => {
  it('routes prefixes and keys to their resource', () => {
    expect(resourcePrefixOf('/registry/core/pods/')).toBe('/registry/core/pods/');
    expect(resourcePrefixOf('/registry/core/pods/ns1/')).toBe('/registry/core/pods/');
    expect(resourcePrefixOf('/registry/apps/deployments/ns1/web')).toBe('/registry/apps/deployments/');
    expect(resourcePrefixOf('/registry/core/nodes/n1')).toBe('/registry/core/nodes/');
  });
});
