import { describe, expect, it } from 'vitest';
import { create, GVK, lines, make, update } from './helpers.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

describe('object metadata', () => {
  it('accepts a well-formed object', () => {
    expect(
      create(GVK.configMap, { data: { a: 'b' } }, { labels: { 'app.kubernetes.io/name': 'web', tier: '' } }),
    ).toEqual([]);
  });

  it('requires a name unless generateName is given', () => {
    expect(lines(create(GVK.configMap, {}, { name: undefined }))).toEqual([
      'metadata.name: Required value: name or generateName is required',
    ]);
  });

  it('words an invalid subdomain name as upstream does', () => {
    const errs = create(GVK.configMap, {}, { name: 'Foo_' });
    expect(errs).toEqual([
      {
        field: 'metadata.name',
        type: 'FieldValueInvalid',
        message: `Invalid value: "Foo_": ${SUBDOMAIN_MSG}`,
      },
    ]);
  });

  it('checks generateName as a prefix, allowing a trailing dash', () => {
    expect(create(GVK.configMap, {}, { name: 'web-abcde', generateName: 'web-' })).toEqual([]);
    expect(lines(create(GVK.configMap, {}, { name: 'web-abcde', generateName: 'Web-' }))[0]).toMatch(
      /^metadata\.generateName: Invalid value: "Web-": a lowercase RFC 1123 subdomain/,
    );
  });

  it('uses a DNS label for Namespaces and a DNS-1035 label for Services', () => {
    expect(lines(create(GVK.namespace, {}, { name: 'a.b', namespace: undefined }))).toEqual([
      'metadata.name: Invalid value: "a.b": must not contain dots',
    ]);
    expect(lines(create(GVK.namespace, {}, { name: 'A_b', namespace: undefined }))).toEqual([
      `metadata.name: Invalid value: "A_b": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    ]);
    expect(lines(create(GVK.service, { spec: { ports: [{ port: 80 }] } }, { name: '1web' }))).toEqual([
      `metadata.name: Invalid value: "1web": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')`,
    ]);
  });

  it('requires a namespace for namespaced kinds and forbids one for cluster-scoped kinds', () => {
    expect(lines(create(GVK.configMap, {}, { namespace: undefined }))).toEqual([
      'metadata.namespace: Required value',
    ]);
    expect(lines(create(GVK.node, {}, { namespace: 'default' }))).toEqual([
      'metadata.namespace: Forbidden: not allowed on this type',
    ]);
  });

  it('checks label keys and values', () => {
    const errs = lines(
      create(GVK.configMap, {}, { labels: { 'bad key': 'v', ok: 'bad value!', ['a'.repeat(64)]: 'x' } }),
    );
    expect(errs).toHaveLength(3);
    expect(errs[0]).toMatch(
      /^metadata\.labels: Invalid value: "bad key": name part must consist of alphanumeric/,
    );
    expect(errs[1]).toMatch(
      /^metadata\.labels: Invalid value: "bad value!": a valid label must be an empty string/,
    );
    expect(errs[2]).toBe(
      `metadata.labels: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 characters`,
    );
  });

  it('checks the label key prefix is a DNS subdomain', () => {
    expect(lines(create(GVK.configMap, {}, { labels: { 'Example.com/x': 'y' } }))[0]).toMatch(
      /^metadata\.labels: Invalid value: "Example.com\/x": prefix part a lowercase RFC 1123 subdomain/,
    );
  });

  it('limits the total size of annotations to 256 KiB', () => {
    expect(create(GVK.configMap, {}, { annotations: { a: 'x'.repeat(200 * 1024) } })).toEqual([]);
    expect(create(GVK.configMap, {}, { annotations: { a: 'x'.repeat(256 * 1024) } })).toEqual([
      {
        field: 'metadata.annotations',
        type: 'FieldValueTooLong',
        message: 'Too long: must have at most 262144 bytes',
      },
    ]);
  });

  it('requires finalizers to be qualified or standard', () => {
    expect(create(GVK.configMap, {}, { finalizers: ['example.com/cleanup', 'kubernetes'] })).toEqual([]);
    expect(lines(create(GVK.configMap, {}, { finalizers: ['cleanup'] }))).toEqual([
      'metadata.finalizers: Invalid value: "cleanup": name is neither a standard finalizer name nor is it fully qualified',
    ]);
  });

  it('keeps identity fields immutable on update', () => {
    const old = make(GVK.configMap, { data: {} }, { uid: 'u1', creationTimestamp: '2024-01-01T00:00:00Z' });
    const next = structuredClone(old);
    next.metadata.uid = 'u2';
    next.metadata.labels = { changed: 'yes' };
    expect(lines(update(GVK.configMap, next, old))).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
    ]);
  });
});
