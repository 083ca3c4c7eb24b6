import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { ProtoWriter } from '../../../api/openapi/protobuf-writer.js';
import { buildV2 } from '../../../api/openapi/v2.js';
import { encodeV2Protobuf } from '../../../api/openapi/v2-protobuf.js';
import { RESOURCES } from '../../../api/resources.js';

/** A message decoded without its schema: field number -> raw values (bytes, varints, doubles). */
type Fields = Map<number, (Uint8Array | number)[]>;

function decode(bytes: Uint8Array): Fields {
  const r = protobuf.Reader.create(bytes);
  const out: Fields = new Map();
  while (r.pos < r.len) {
    const tag = r.uint32();
    const field = tag >>> 3;
    const wire = tag & 7;
    const value = wire === 0 ? r.uint32() : wire === 1 ? r.double() : wire === 2 ? r.bytes() : undefined;
    if (value === undefined) throw new Error(`unexpected wire type ${wire} for field ${field}`);
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}

const text = (v: Uint8Array | number | undefined) => new TextDecoder().decode(v as Uint8Array);
const one = (m: Fields, field: number) => decode(m.get(field)![0] as Uint8Array);
const named = (m: Fields, field: number): Map<string, Fields> =>
  new Map(
    (m.get(field) ?? []).map((entry) => {
      const e = decode(entry as Uint8Array);
      return [text(e.get(1)![0]), decode(e.get(2)![0] as Uint8Array)];
    }),
  );
/** Vendor extensions (`NamedAny`) as name -> value parsed from `Any.yaml` (written as JSON). */
const extensions = (m: Fields, field: number): Record<string, unknown> =>
  Object.fromEntries([...named(m, field)].map(([name, any]) => [name, JSON.parse(text(any.get(2)![0]))]));

describe('ProtoWriter', () => {
  it('writes varints, strings, doubles and nested messages in wire format', () => {
    const bytes = new ProtoWriter()
      .int64(1, 300)
      .string(2, '')
      .bool(3, true)
      .double(4, 1.5)
      .message(5, (inner) => inner.string(1, 'hi'))
      .message(6, () => {})
      .finish();
    const r = protobuf.Reader.create(bytes);
    expect([...bytes.slice(0, 3)]).toEqual([0x08, 0xac, 0x02]);
    const fields = decode(bytes);
    expect(fields.get(1)).toEqual([300]);
    expect(fields.has(2)).toBe(false);
    expect(fields.get(3)).toEqual([1]);
    expect(fields.get(4)).toEqual([1.5]);
    expect(text(decode(fields.get(5)![0] as Uint8Array).get(1)![0])).toBe('hi');
    expect([...bytes.slice(-2)]).toEqual([0x32, 0x00]);
    expect(r.len).toBe(bytes.length);
  });

  it('writes the length prefix of a large nested message in as many bytes as it needs', () => {
    const big = 'x'.repeat(20_000);
    const bytes = new ProtoWriter()
      .message(1, (m) => m.string(1, big).message(2, (n) => n.string(1, 'y')))
      .finish();
    const outer = protobuf.Reader.create(bytes);
    expect(outer.uint32()).toBe(0x0a);
    const inner = decode(outer.bytes());
    expect(outer.pos).toBe(bytes.length);
    expect(text(inner.get(1)![0])).toBe(big);
    expect(text(decode(inner.get(2)![0] as Uint8Array).get(1)![0])).toBe('y');
  });

  it('writes a false member of a oneof but leaves a plain false out', () => {
    expect([...new ProtoWriter().bool(2, false).finish()]).toEqual([]);
    expect([...new ProtoWriter().bool(2, false, true).finish()]).toEqual([0x10, 0x00]);
  });
});

describe('OpenAPI v2 protobuf (gnostic openapi.v2.Document)', () => {
  const doc = buildV2(RESOURCES);
  const message = decode(encodeV2Protobuf(doc));

  it('carries the version, info and every definition', () => {
    expect(text(message.get(1)![0])).toBe('2.0');
    const info = one(message, 2);
    expect(text(info.get(1)![0])).toBe('Kubernetes');
    const definitions = named(one(message, 9), 1);
    expect([...definitions.keys()]).toEqual(Object.keys(doc.definitions));
  });

  it('encodes a schema with its type, properties, refs, required and extensions', () => {
    const definitions = named(one(message, 9), 1);
    const pod = definitions.get('io.k8s.api.core.v1.Pod')!;
    expect(text(one(pod, 22).get(1)![0])).toBe('object');
    expect(extensions(pod, 31)).toEqual({
      'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Pod' }],
    });
    const podSpec = definitions.get('io.k8s.api.core.v1.PodSpec')!;
    expect((podSpec.get(19) ?? []).map(text)).toEqual(['containers']);
    const containers = named(one(podSpec, 25), 1).get('containers')!;
    expect(text(one(containers, 22).get(1)![0])).toBe('array');
    expect(extensions(containers, 31)).toEqual({
      'x-kubernetes-patch-merge-key': 'name',
      'x-kubernetes-patch-strategy': 'merge',
    });
    const items = one(one(containers, 23), 1);
    expect(text(items.get(1)![0])).toBe('#/definitions/io.k8s.api.core.v1.Container');
    const image = named(one(definitions.get('io.k8s.api.core.v1.Container')!, 25), 1).get('image')!;
    expect(text(image.get(4)![0])).toMatch(/^Container image name/);
  });

  it('encodes the paths with operations, parameters, responses and extensions', () => {
    const paths = named(one(message, 8), 2);
    expect([...paths.keys()]).toEqual(Object.keys(doc.paths));
    const pods = paths.get('/api/v1/namespaces/{namespace}/pods')!;
    const post = one(pods, 4);
    expect(text(post.get(5)![0])).toBe('createCoreV1NamespacedPod');
    expect(extensions(post, 13)).toEqual({
      'x-kubernetes-action': 'post',
      'x-kubernetes-group-version-kind': { group: '', version: 'v1', kind: 'Pod' },
    });
    const body = one(one(decode(post.get(8)![0] as Uint8Array), 1), 1); // ParametersItem > Parameter > BodyParameter
    expect(text(body.get(2)![0])).toBe('body');
    expect(text(one(body, 5).get(1)![0])).toBe('#/definitions/io.k8s.api.core.v1.Pod');
    const list = one(pods, 2);
    const query = (list.get(8) ?? []).map((p) => one(one(one(decode(p as Uint8Array), 1), 2), 3));
    expect(query.map((q) => text(q.get(4)![0]))).toContain('watch');
    const responses = named(one(list, 9), 1);
    const ok = one(one(responses.get('200')!, 1), 2); // ResponseValue > Response > SchemaItem
    expect(text(one(ok, 1).get(1)![0])).toBe('#/definitions/io.k8s.api.core.v1.PodList');
    const namespaceParam = one(one(one(decode(pods.get(9)![0] as Uint8Array), 1), 2), 4); // path parameter
    expect(text(namespaceParam.get(4)![0])).toBe('namespace');
    expect(namespaceParam.get(1)).toEqual([1]);
  });
});
