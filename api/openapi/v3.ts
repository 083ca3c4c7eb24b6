import { createHash } from 'node:crypto';
import { groupVersions, type ResourceDef } from '../resources.js';
import { loadDefinitions } from './definitions.js';
import {
  groupVersionKey,
  groupVersionPaths,
  type Operation,
  operationDefinitions,
  PATCH_CONTENT_TYPES,
  type ParamSpec,
  type PathItem,
} from './operations.js';
import { mapRefs, reachableDefinitions } from './reachable.js';
import { COMPONENTS_REF_PREFIX, type Definitions, refName, type Schema } from './schema.js';

/** OpenAPI 3.0 documents as served under /openapi/v3: one root index and one document per group/version. */

const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

const ref = (definition: string): Schema => ({ $ref: COMPONENTS_REF_PREFIX + definition });

function param(p: ParamSpec): object {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    schema: { type: p.type, uniqueItems: true },
  };
}

function content(types: readonly string[], definition: string): Record<string, { schema: Schema }> {
  return Object.fromEntries(types.map((t) => [t, { schema: ref(definition) }]));
}

function operation(o: Operation): object {
  const ok = { description: 'OK', content: content(RESPONSE_TYPES, o.response) };
  const responses: Record<string, object> = { '200': ok };
  if (o.action === 'post' || o.action === 'put') {
    responses['201'] = { description: 'Created', content: content(RESPONSE_TYPES, o.response) };
  }
  if (o.action === 'post' || o.action === 'delete') {
    responses['202'] = { description: 'Accepted', content: content(RESPONSE_TYPES, o.response) };
  }
  responses['401'] = { description: 'Unauthorized' };
  const out: Record<string, unknown> = {
    tags: [o.tag],
    description: o.description,
    operationId: o.operationId,
  };
  if (o.parameters.length > 0) out.parameters = o.parameters.map(param);
  if (o.body) {
    out.requestBody = {
      content: content(o.patch ? PATCH_CONTENT_TYPES : ['*/*'], o.body),
      ...(o.action === 'delete' || o.action === 'deletecollection' ? {} : { required: true }),
    };
  }
  out.responses = responses;
  out['x-kubernetes-action'] = o.action;
  out['x-kubernetes-group-version-kind'] = o.gvk;
  return out;
}

function pathItem(item: PathItem): object {
  const out: Record<string, unknown> = {};
  for (const o of item.operations) out[o.method] = operation(o);
  out.parameters = item.parameters.map(param);
  return out;
}

/**
 * Definitions in OpenAPI 3.0 form: refs point into components, and a `$ref` with siblings
 * (a described field) becomes `allOf: [{$ref}]`, since 3.0 ignores siblings of `$ref`.
 */
export function toV3Schemas(defs: Definitions): Record<string, Schema> {
  const rewrite = (s: Schema): Schema => {
    const { $ref, ...rest } = s;
    const target = ref(refName($ref!));
    return Object.keys(rest).length === 0 ? target : { ...rest, allOf: [target] };
  };
  return Object.fromEntries(Object.entries(defs).map(([name, s]) => [name, mapRefs(s, rewrite)]));
}

interface Built {
  doc: object;
  hash: string;
}

const cache = new WeakMap<readonly ResourceDef[], Map<string, Built | undefined>>();

function build(group: string, version: string, resources: readonly ResourceDef[]): Built | undefined {
  let perList = cache.get(resources);
  if (!perList) {
    perList = new Map();
    cache.set(resources, perList);
  }
  const key = `${group}/${version}`;
  if (perList.has(key)) return perList.get(key);
  const paths = groupVersionPaths(group, version, resources);
  let built: Built | undefined;
  if (paths.length > 0) {
    const schemas = toV3Schemas(reachableDefinitions(loadDefinitions(), operationDefinitions(paths)));
    const doc = {
      openapi: '3.0.0',
      info: { title: 'Kubernetes', version: 'unversioned' },
      paths: Object.fromEntries(paths.map((p) => [p.path, pathItem(p)])),
      components: {
        schemas,
        securitySchemes: {
          BearerToken: {
            type: 'apiKey',
            description: 'Bearer Token authentication',
            name: 'authorization',
            in: 'header',
          },
        },
      },
      security: [{ BearerToken: [] }],
    };
    const hash = createHash('sha512').update(JSON.stringify(doc)).digest('hex').toUpperCase();
    built = { doc, hash };
  }
  perList.set(key, built);
  return built;
}

/** The OpenAPI 3.0 document of one group/version, or undefined when no resource is served there. */
export function buildV3GroupVersion(
  group: string,
  version: string,
  resources: readonly ResourceDef[],
): object | undefined {
  return build(group, version, resources)?.doc;
}

/** The stable hash of a group/version document, as put in the root's `serverRelativeURL`. */
export function v3GroupVersionHash(
  group: string,
  version: string,
  resources: readonly ResourceDef[],
): string | undefined {
  return build(group, version, resources)?.hash;
}

/** The /openapi/v3 index: `{ paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=…" } } }`. */
export function buildV3Root(resources: readonly ResourceDef[]): {
  paths: Record<string, { serverRelativeURL: string }>;
} {
  const paths: Record<string, { serverRelativeURL: string }> = {};
  for (const { group, version } of groupVersions(resources)) {
    const hash = v3GroupVersionHash(group, version, resources);
    if (!hash) continue;
    const key = groupVersionKey(group, version);
    paths[key] = { serverRelativeURL: `/openapi/v3/${key}?hash=${hash}` };
  }
  return { paths };
}
