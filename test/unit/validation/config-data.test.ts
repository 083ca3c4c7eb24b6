import { describe, expect, it } from 'vitest';
import { create, GVK, type Loose, lines, make, update } from './helpers.js';

describe('configmap validation', () => {
  it('accepts valid keys', () => {
    expect(create(GVK.configMap, { data: { 'app.properties': 'a=b', KEY_1: 'v', 'my-key': '' } })).toEqual(
      [],
    );
  });

  it('rejects invalid keys with upstream wording', () => {
    expect(lines(create(GVK.configMap, { data: { 'a/b': 'x', '..dots': 'y' } }))).toEqual([
      `data[a/b]: Invalid value: "a/b": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')`,
      `data[..dots]: Invalid value: "..dots": must not start with '..'`,
    ]);
  });

  it('rejects a key present in both data and binaryData', () => {
    expect(lines(create(GVK.configMap, { data: { a: 'x' }, binaryData: { a: 'eA==' } }))).toEqual([
      'data[a]: Duplicate value: "a"',
    ]);
  });

  it('limits the total size to 1 MiB', () => {
    expect(lines(create(GVK.configMap, { data: { big: 'x'.repeat(1024 * 1024) } }))).toEqual([
      '[]: Too long: must have at most 1048576 bytes',
    ]);
  });

  it('freezes data once immutable is set', () => {
    const old = make(GVK.configMap, { data: { a: 'x' }, immutable: true });
    const next: Loose = structuredClone(old);
    next.metadata.labels = { ok: 'yes' };
    expect(update(GVK.configMap, next, old)).toEqual([]);
    next.data.a = 'y';
    next.immutable = false;
    expect(lines(update(GVK.configMap, next, old))).toEqual([
      'data: Forbidden: field is immutable when `immutable` is set',
      'immutable: Forbidden: field is immutable when `immutable` is set',
    ]);
  });
});

describe('secret validation', () => {
  it('accepts an Opaque secret, including stringData folded in by defaulting', () => {
    expect(create(GVK.secret, { data: { password: 'cGFzcw==' }, stringData: { user: 'admin' } })).toEqual([]);
  });

  it('requires the keys of typed secrets', () => {
    expect(lines(create(GVK.secret, { type: 'kubernetes.io/tls', data: { 'tls.crt': 'eA==' } }))).toEqual([
      'data[tls.key]: Required value',
    ]);
  });

  it('keeps the type immutable and data frozen when immutable', () => {
    const old = make(GVK.secret, { data: { a: 'eA==' }, immutable: true });
    const next: Loose = structuredClone(old);
    next.type = 'kubernetes.io/basic-auth';
    next.data = { a: 'eQ==' };
    expect(lines(update(GVK.secret, next, old))).toEqual([
      'type: Invalid value: "kubernetes.io/basic-auth": field is immutable',
      'data: Forbidden: field is immutable when `immutable` is set',
      'data[username]: Required value: either username or password is required',
    ]);
  });
});
