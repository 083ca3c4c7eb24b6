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
import { DEFINITIONS_REF_PREFIX } from './schema.js';

/** The Swagger 2.0 document of every served resource, in JSON (/openapi/v2 for non-kubectl clients). */

const RESPONSE_TYPES = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];

function param(p: ParamSpec): object {
  return {
    name: p.name,
    in: p.in,
    description: p.description,
    ...(p.required ? { required: true } : {}),
    type: p.type,
    uniqueItems: true,
  };
}

function operation(o: Operation): object {
  const schema = { $ref: DEFINITIONS_REF_PREFIX + o.response };
  const responses: Record<string, object> = { '200': { description: 'OK', schema } };
  if (o.action === 'post' || o.action === 'put') responses['201'] = { description: 'Created', schema };
  if (o.action === 'post' || o.action === 'delete') responses['202'] = { description: 'Accepted', schema };
  responses['401'] = { description: 'Unauthorized' };
  const parameters: object[] = [];
  if (o.body) {
    parameters.push({
      name: 'body',
      in: 'body',
      ...(o.action === 'delete' || o.action === 'deletecollection' ? {} : { required: true }),
      schema: { $ref: DEFINITIONS_REF_PREFIX + o.body },
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

function pathItem(item: PathItem): object {
  const out: Record<string, unknown> = {};
  for (const o of item.operations) out[o.method] = operation(o);
  out.parameters = item.parameters.map(param);
  return out;
}

export function buildV2(resources: readonly ResourceDef[]): object {
  const paths = groupVersions(resources).flatMap(({ group, version }) =>
    groupVersionPaths(group, version, resources),
  );
  return {
    swagger: '2.0',
    info: { title: 'Kubernetes', version: 'unversioned' },
    paths: Object.fromEntries(paths.map((p) => [p.path, pathItem(p)])),
    definitions: reachableDefinitions(loadDefinitions(), operationDefinitions(paths)),
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
