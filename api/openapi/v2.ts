import { groupVersions, type ResourceDef } from '../resources.js';
import { loadDefinitions } from './definitions.js';
import {
  groupVersionPaths,
  type Operation,
  operationDefinitions,
  PATCH_CONTENT_TYPES,
  type ParamSpec,
  type PathItem,
} from './operations.js';
import { reachableDefinitions } from './reachable.js';
import {
  DEFINITIONS_REF_PREFIX,
  type Definitions,
  type GroupVersionKind,
  refName,
  type Schema,
} from './schema.js';

/**
 * The Swagger 2.0 document of every served resource, as served under /openapi/v2: one document
 * for the whole server (unlike v3's one per group/version), refs into `#/definitions/`.
 */

export interface V2Parameter {
  name: string;
  in: 'query' | 'path' | 'body';
  description?: string;
  required?: boolean;
  type?: string;
  uniqueItems?: boolean;
  schema?: Schema;
}

export interface V2Response {
  description: string;
  schema?: Schema;
}

export interface V2Operation {
  description: string;
  consumes: string[];
  produces: string[];
  schemes: string[];
  tags: string[];
  operationId: string;
  parameters: V2Parameter[];
  responses: Record<string, V2Response>;
  'x-kubernetes-action': string;
  'x-kubernetes-group-version-kind': GroupVersionKind;
}

export type V2Method = 'get' | 'put' | 'post' | 'delete' | 'patch';

export type V2PathItem = { [M in V2Method]?: V2Operation } & { parameters: V2Parameter[] };

export interface V2ApiKeySecurity {
  type: 'apiKey';
  description: string;
  name: string;
  in: 'header' | 'query';
}

export interface V2Document {
  swagger: '2.0';
  info: { title: string; version: string };
  paths: Record<string, V2PathItem>;
  definitions: Definitions;
  securityDefinitions: Record<string, V2ApiKeySecurity>;
  security: Record<string, string[]>[];
}

const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

const ref = (definition: string): Schema => ({ $ref: DEFINITIONS_REF_PREFIX + definition });

function param(p: ParamSpec): V2Parameter {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function operation(o: Operation): V2Operation {
  const schema = ref(o.response);
  const responses: Record<string, V2Response> = { '200': { description: 'OK', schema } };
  if (o.action === 'post' || o.action === 'put') responses['201'] = { description: 'Created', schema };
  if (o.action === 'post' || o.action === 'delete') responses['202'] = { description: 'Accepted', schema };
  responses['401'] = { description: 'Unauthorized' };
  const parameters: V2Parameter[] = [];
  if (o.body) {
    parameters.push({
      name: 'body',
      in: 'body',
      ...(o.action === 'delete' || o.action === 'deletecollection' ? {} : { required: true }),
      schema: ref(o.body),
    });
  }
  parameters.push(...o.parameters.map(param));
  return {
    description: o.description,
    consumes: o.patch ? [...PATCH_CONTENT_TYPES] : ['*/*'],
    produces: RESPONSE_TYPES,
    schemes: ['https'],
    tags: [o.tag],
    operationId: o.operationId,
    parameters,
    responses,
    'x-kubernetes-action': o.action,
    'x-kubernetes-group-version-kind': o.gvk,
  };
}

function pathItem(item: PathItem): V2PathItem {
  const out: V2PathItem = { parameters: [] };
  for (const o of item.operations) out[o.method] = operation(o);
  out.parameters = item.parameters.map(param);
  return out;
}

/**
 * A schema in Swagger 2.0 form. Refs point into `#/definitions/`; OpenAPI 3.0 constructs are
 * turned into their 2.0 spelling: `allOf: [{$ref}]` around a described field becomes `$ref` with
 * siblings (as upstream's swagger.json has it), `nullable`, `oneOf` and `anyOf` are dropped (2.0
 * has no such keywords; upstream drops them too). Returns the very same object when nothing
 * changes, so the document shares its schemas with the loaded definitions instead of copying them.
 */
export function toV2Schema(schema: Schema): Schema {
  let out: Schema | undefined;
  const edit = (): Schema => {
    out ??= { ...schema };
    return out;
  };
  if (schema.$ref !== undefined && !schema.$ref.startsWith(DEFINITIONS_REF_PREFIX)) {
    edit().$ref = DEFINITIONS_REF_PREFIX + refName(schema.$ref);
  }
  if (schema.nullable !== undefined) delete edit().nullable;
  if (schema.oneOf !== undefined) delete edit().oneOf;
  if (schema.anyOf !== undefined) delete edit().anyOf;
  if (schema.allOf) {
    const allOf = schema.allOf.map(toV2Schema);
    const only = allOf.length === 1 ? allOf[0]! : undefined;
    if (only?.$ref !== undefined && Object.keys(only).length === 1 && schema.$ref === undefined) {
      const o = edit();
      delete o.allOf;
      o.$ref = only.$ref;
    } else if (allOf.some((s, i) => s !== schema.allOf![i])) {
      edit().allOf = allOf;
    }
  }
  if (schema.items) {
    const items = toV2Schema(schema.items);
    if (items !== schema.items) edit().items = items;
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    const additional = toV2Schema(schema.additionalProperties);
    if (additional !== schema.additionalProperties) edit().additionalProperties = additional;
  }
  if (schema.properties) {
    let properties: Record<string, Schema> | undefined;
    for (const [name, prop] of Object.entries(schema.properties)) {
      const converted = toV2Schema(prop);
      if (converted === prop) continue;
      properties ??= { ...schema.properties };
      properties[name] = converted;
    }
    if (properties) edit().properties = properties;
  }
  return out ?? schema;
}

/** The whole /openapi/v2 document: every served resource's paths and the definitions they reach. */
export function buildV2(
  resources: readonly ResourceDef[],
  defs: Definitions = loadDefinitions(),
): V2Document {
  const paths = groupVersions(resources).flatMap(({ group, version }) =>
    groupVersionPaths(group, version, resources),
  );
  const reachable = reachableDefinitions(defs, operationDefinitions(paths));
  const definitions: Definitions = {};
  for (const [name, schema] of Object.entries(reachable)) definitions[name] = toV2Schema(schema);
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: Object.fromEntries(paths.map((p) => [p.path, pathItem(p)])),
    definitions,
    securityDefinitions: {
      BearerToken: {
        type: 'apiKey',
        description: 'Bearer Token authentication',
        name: 'authorization',
        in: 'header',
      },
    },
    security: [{ BearerToken: [] }],
  };
}
