import { describe, expect, it } from 'vitest';
import { loadDefinitions } from '../../../api/openapi/definitions.js';
import type { Definitions, Schema } from '../../../api/openapi/schema.js';
import { buildV2, toV2Schema, type V2Document } from '../../../api/openapi/v2.js';
import { RESOURCES } from '../../../api/resources.js';

const doc = buildV2(RESOURCES);

function collectRefs(value: unknown, out: string[]): void {
  if (Array.isArray(value)) {
    for (const v of value) collectRefs(v, out);
  } else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') out.push(v);
      else collectRefs(v, out);
    }
  }
}

function v3Keywords(value: unknown, path: string, out: string[]): void {
  if (!value || typeof value !== 'object') return;
  const s = value as Schema;
  for (const k of ['nullable', 'oneOf', 'anyOf'] as const) if (k in s) out.push(`${path}.${k}`);
  if (s.allOf) out.push(`${path}.allOf`);
  for (const [name, p] of Object.entries(s.properties ?? {})) v3Keywords(p, `${path}.${name}`, out);
  if (s.items) v3Keywords(s.items, `${path}[]`, out);
  if (typeof s.additionalProperties === 'object') v3Keywords(s.additionalProperties, `${path}{}`, out);
}

describe('OpenAPI v2 document', () => {
  it('is Swagger 2.0 whose every $ref points at a definition of the same document', () => {
    expect(doc.swagger).toBe('2.0');
    expect(doc.info).toEqual({ title: 'Kubernetes', version: 'unversioned' });
    const refs: string[] = [];
    collectRefs(doc, refs);
    expect(refs.length).toBeGreaterThan(500);
    const dangling = refs.filter(
      (r) => !r.startsWith('#/definitions/') || !(r.slice('#/definitions/'.length) in doc.definitions),
    );
    expect(dangling).toEqual([]);
    const leftovers: string[] = [];
    for (const [name, s] of Object.entries(doc.definitions)) v3Keywords(s, name, leftovers);
    expect(leftovers).toEqual([]);
  });

  it('has a definition with its group-version-kind for every served kind and its list', () => {
    const missing: string[] = [];
    for (const r of RESOURCES) {
      const gvk = { group: r.group, version: r.version, kind: r.kind };
      const def = doc.definitions[r.definition];
      if (!def?.['x-kubernetes-group-version-kind']?.some((g) => JSON.stringify(g) === JSON.stringify(gvk))) {
        missing.push(r.definition);
      }
      if (r.verbs.includes('list') && !doc.definitions[`${r.definition}List`])
        missing.push(`${r.definition}List`);
    }
    expect(missing).toEqual([]);
    expect(doc.definitions['io.k8s.api.core.v1.Pod']!['x-kubernetes-group-version-kind']).toEqual([
      { group: '', version: 'v1', kind: 'Pod' },
    ]);
  });

  it('carries the strategic merge patch keys, e.g. on Pod.spec.containers', () => {
    const containers = doc.definitions['io.k8s.api.core.v1.PodSpec']!.properties!.containers!;
    expect(containers['x-kubernetes-patch-merge-key']).toBe('name');
    expect(containers['x-kubernetes-patch-strategy']).toBe('merge');
    expect(containers.items).toEqual({ $ref: '#/definitions/io.k8s.api.core.v1.Container' });
    const image = doc.definitions['io.k8s.api.core.v1.Container']!.properties!.image!;
    expect(image.description).toMatch(/^Container image name/);
  });

  it('has the list, create, get, update, patch, delete and watch operations of every served resource', () => {
    const problems: string[] = [];
    for (const r of RESOURCES) {
      const prefix = r.group === '' ? `/api/${r.version}` : `/apis/${r.group}/${r.version}`;
      const collection = r.namespaced
        ? `${prefix}/namespaces/{namespace}/${r.plural}`
        : `${prefix}/${r.plural}`;
      const gvk = { group: r.group, version: r.version, kind: r.kind };
      const expected: [string, 'get' | 'post' | 'put' | 'patch' | 'delete', string, string][] = [
        ['list', 'get', collection, 'list'],
        ['create', 'post', collection, 'post'],
        ['get', 'get', `${collection}/{name}`, 'get'],
        ['update', 'put', `${collection}/{name}`, 'put'],
        ['patch', 'patch', `${collection}/{name}`, 'patch'],
        ['delete', 'delete', `${collection}/{name}`, 'delete'],
      ];
      for (const [verb, method, path, action] of expected) {
        if (!r.verbs.includes(verb)) continue;
        const op = doc.paths[path]?.[method];
        if (!op) {
          problems.push(`${method} ${path}`);
          continue;
        }
        if (op['x-kubernetes-action'] !== action) problems.push(`${method} ${path}: action`);
        if (JSON.stringify(op['x-kubernetes-group-version-kind']) !== JSON.stringify(gvk)) {
          problems.push(`${method} ${path}: gvk`);
        }
        if (verb === 'list' && !op.parameters.some((p) => p.name === 'watch' && p.type === 'boolean')) {
          problems.push(`${method} ${path}: watch`);
        }
      }
    }
    expect(problems).toEqual([]);
    const create = doc.paths['/api/v1/namespaces/{namespace}/pods']!.post!;
    expect(create.parameters[0]).toEqual({
      name: 'body',
      in: 'body',
      required: true,
      schema: { $ref: '#/definitions/io.k8s.api.core.v1.Pod' },
    });
    expect(create.responses['201']!.schema).toEqual({ $ref: '#/definitions/io.k8s.api.core.v1.Pod' });
    const item = doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']!;
    expect(item.parameters.map((p) => [p.name, p.in])).toEqual([
      ['name', 'path'],
      ['namespace', 'path'],
      ['pretty', 'query'],
    ]);
    expect(item.patch!.consumes).toContain('application/strategic-merge-patch+json');
  });

  it('shares the loaded schemas instead of copying them', () => {
    const defs = loadDefinitions();
    expect(doc.definitions['io.k8s.api.core.v1.PodSpec']).toBe(defs['io.k8s.api.core.v1.PodSpec']);
  });
});

describe('toV2Schema', () => {
  it('turns OpenAPI 3.0 constructs into their Swagger 2.0 spelling', () => {
    const v3: Schema = {
      type: 'object',
      properties: {
        metadata: {
          description: 'Standard object metadata.',
          allOf: [{ $ref: '#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta' }],
        },
        spec: { $ref: '#/components/schemas/x.Spec' },
        items: { type: 'array', items: { $ref: '#/components/schemas/x.Item' }, nullable: true },
        labels: { type: 'object', additionalProperties: { type: 'string', nullable: true } },
        either: { oneOf: [{ type: 'string' }, { type: 'integer' }], anyOf: [{ type: 'string' }] },
      },
    };
    expect(toV2Schema(v3)).toEqual({
      type: 'object',
      properties: {
        metadata: {
          description: 'Standard object metadata.',
          $ref: '#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta',
        },
        spec: { $ref: '#/definitions/x.Spec' },
        items: { type: 'array', items: { $ref: '#/definitions/x.Item' } },
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        either: {},
      },
    });
    expect(v3.properties!.metadata!.allOf).toHaveLength(1);
  });

  it('returns the same object when the schema is already Swagger 2.0', () => {
    const s: Schema = { type: 'object', properties: { a: { $ref: '#/definitions/x.A', description: 'a' } } };
    expect(toV2Schema(s)).toBe(s);
  });

  it('is applied to every definition of the document', () => {
    const defs: Definitions = {
      ...loadDefinitions(),
      'io.k8s.api.core.v1.Pod': {
        type: 'object',
        'x-kubernetes-group-version-kind': [{ group: '', version: 'v1', kind: 'Pod' }],
        properties: {
          spec: { allOf: [{ $ref: '#/components/schemas/io.k8s.api.core.v1.PodSpec' }], description: 'spec' },
        },
      },
    };
    const converted: V2Document = buildV2(RESOURCES, defs);
    expect(converted.definitions['io.k8s.api.core.v1.Pod']!.properties!.spec).toEqual({
      $ref: '#/definitions/io.k8s.api.core.v1.PodSpec',
      description: 'spec',
    });
    expect(converted.definitions['io.k8s.api.core.v1.PodSpec']).toBeDefined();
  });
});
