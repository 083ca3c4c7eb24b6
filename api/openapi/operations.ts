import { compareStrings } from '../compare-strings.js';
import type { ResourceDef } from '../resources.js';
import type { GroupVersionKind } from './schema.js';

/**
 * The REST operations of a group/version as plain data, rendered by the Swagger 2.0 and the
 * OpenAPI 3.0 builders alike.
 */

export const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';
export const PATCH_DEFINITION = `${META}.Patch`;
export const DELETE_OPTIONS_DEFINITION = `${META}.DeleteOptions`;
export const STATUS_DEFINITION = `${META}.Status`;
export const SCALE_DEFINITION = 'io.k8s.api.autoscaling.v1.Scale';

export const PATCH_CONTENT_TYPES = [
  'application/apply-patch+yaml',
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
] as const;

export interface ParamSpec {
  name: string;
  in: 'query' | 'path';
  type: 'string' | 'boolean' | 'integer';
  description: string;
  required?: boolean;
}

export type Action = 'get' | 'list' | 'post' | 'put' | 'patch' | 'delete' | 'deletecollection';
export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface Operation {
  method: Method;
  action: Action;
  operationId: string;
  description: string;
  tag: string;
  gvk: GroupVersionKind;
  parameters: ParamSpec[];
  /** Definition of the request body; patches take any of PATCH_CONTENT_TYPES. */
  body?: string;
  patch?: boolean;
  /** Definition returned with 200 (and 201/202 where the action creates or deletes). */
  response: string;
}

export interface PathItem {
  path: string;
  parameters: ParamSpec[];
  operations: Operation[];
}

const q = (name: string, type: ParamSpec['type'], description: string): ParamSpec => ({
  name,
  in: 'query',
  type,
  description,
});

const PRETTY = q('pretty', 'string', "If 'true', then the output is pretty printed.");
const NAMESPACE: ParamSpec = {
  name: 'namespace',
  in: 'path',
  type: 'string',
  required: true,
  description: 'object name and auth scope, such as for teams and projects',
};
const nameParam = (kind: string): ParamSpec => ({
  name: 'name',
  in: 'path',
  type: 'string',
  required: true,
  description: `name of the ${kind}`,
});

const DRY_RUN = q(
  'dryRun',
  'string',
  'When present, indicates that modifications should not be persisted. Valid values: All (process every stage of the request without persisting it).',
);
const FIELD_MANAGER = q(
  'fieldManager',
  'string',
  'A name associated with the actor or entity making these changes; at most 128 printable characters.',
);
export const FIELD_VALIDATION = q(
  'fieldValidation',
  'string',
  'How the server treats unknown or duplicate fields in the request body: Ignore drops them silently, Warn drops them and returns a warning header per field, Strict fails the request with BadRequest.',
);
const FORCE = q(
  'force',
  'boolean',
  'Force applies the request, taking over fields owned by other managers. Only allowed for apply requests.',
);
const WRITE_PARAMS = [DRY_RUN, FIELD_MANAGER, FIELD_VALIDATION];
const LIST_PARAMS = [
  q('allowWatchBookmarks', 'boolean', 'Requests watch events of type BOOKMARK; servers may ignore it.'),
  q('continue', 'string', 'The continue token returned by a previous list call, to fetch the next page.'),
  q('fieldSelector', 'string', 'A selector restricting the returned objects by their fields.'),
  q('labelSelector', 'string', 'A selector restricting the returned objects by their labels.'),
  q('limit', 'integer', 'The maximum number of objects to return for one list call.'),
  q('resourceVersion', 'string', 'Constrains which resource versions the request may be served from.'),
  q('resourceVersionMatch', 'string', 'How resourceVersion is applied to list calls: Exact or NotOlderThan.'),
  q(
    'sendInitialEvents',
    'boolean',
    'With watch=true, start the stream with synthetic events for existing objects.',
  ),
  q('timeoutSeconds', 'integer', 'Timeout for the list or watch call, regardless of activity.'),
  q(
    'watch',
    'boolean',
    'Watch for changes to the described resources and return them as a stream of events.',
  ),
];
const DELETE_PARAMS = [
  DRY_RUN,
  q('gracePeriodSeconds', 'integer', 'Seconds before the object should be deleted; zero means delete now.'),
  q('orphanDependents', 'boolean', 'Deprecated: use propagationPolicy. Whether dependents are orphaned.'),
  q(
    'propagationPolicy',
    'string',
    'Whether and how garbage collection is performed: Orphan, Background or Foreground.',
  ),
];

function pascal(s: string): string {
  return s
    .split(/[^A-Za-z0-9]/)
    .filter((p) => p !== '')
    .map((p) => p[0]!.toUpperCase() + p.slice(1))
    .join('');
}

/** `Core`, `Apps`, `Discovery` for discovery.k8s.io: the group as upstream operation ids spell it. */
function groupWord(group: string): string {
  return group === '' ? 'Core' : pascal(group.replace(/\.k8s\.io$/, ''));
}

export function groupVersionPrefix(group: string, version: string): string {
  return group === '' ? `/api/${version}` : `/apis/${group}/${version}`;
}

/** Key of a group/version in the /openapi/v3 root: `api/v1`, `apis/apps/v1`. */
export function groupVersionKey(group: string, version: string): string {
  return groupVersionPrefix(group, version).slice(1);
}

function has(r: ResourceDef, verb: string): boolean {
  return r.verbs.includes(verb);
}

function resourcePaths(r: ResourceDef): PathItem[] {
  const gv = `${groupWord(r.group)}${pascal(r.version)}`;
  const tag = `${r.group === '' ? 'core' : r.group.replace(/\.k8s\.io$/, '').replaceAll('.', '_')}_${r.version}`;
  const gvk: GroupVersionKind = { group: r.group, version: r.version, kind: r.kind };
  const scope = r.namespaced ? 'Namespaced' : '';
  const prefix = groupVersionPrefix(r.group, r.version);
  const collection = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.plural}` : `${prefix}/${r.plural}`;
  const scopeParams = r.namespaced ? [NAMESPACE] : [];
  const list = `${r.definition}List`;
  const op = (o: Omit<Operation, 'tag' | 'gvk'> & { gvk?: GroupVersionKind }): Operation => ({
    tag,
    gvk,
    ...o,
  });
  const items: PathItem[] = [];

  const collectionOps: Operation[] = [];
  if (has(r, 'list')) {
    collectionOps.push(
      op({
        method: 'get',
        action: 'list',
        operationId: `list${gv}${scope}${r.kind}`,
        description: `list or watch objects of kind ${r.kind}`,
        parameters: LIST_PARAMS,
        response: list,
      }),
    );
  }
  if (has(r, 'create')) {
    collectionOps.push(
      op({
        method: 'post',
        action: 'post',
        operationId: `create${gv}${scope}${r.kind}`,
        description: `create ${article(r.kind)} ${r.kind}`,
        parameters: WRITE_PARAMS,
        body: r.definition,
        response: r.definition,
      }),
    );
  }
  if (has(r, 'deletecollection')) {
    collectionOps.push(
      op({
        method: 'delete',
        action: 'deletecollection',
        operationId: `deleteCollection${gv}${scope}${r.kind}`,
        description: `delete collection of ${r.kind}`,
        parameters: [...DELETE_PARAMS, ...LIST_PARAMS.filter((p) => p.name !== 'watch')],
        body: DELETE_OPTIONS_DEFINITION,
        response: STATUS_DEFINITION,
      }),
    );
  }
  if (collectionOps.length > 0)
    items.push({ path: collection, parameters: [...scopeParams, PRETTY], operations: collectionOps });

  const itemOps: Operation[] = [];
  const name = nameParam(r.kind);
  if (has(r, 'get')) {
    itemOps.push(
      op({
        method: 'get',
        action: 'get',
        operationId: `read${gv}${scope}${r.kind}`,
        description: `read the specified ${r.kind}`,
        parameters: [],
        response: r.definition,
      }),
    );
  }
  if (has(r, 'update')) {
    itemOps.push(
      op({
        method: 'put',
        action: 'put',
        operationId: `replace${gv}${scope}${r.kind}`,
        description: `replace the specified ${r.kind}`,
        parameters: WRITE_PARAMS,
        body: r.definition,
        response: r.definition,
      }),
    );
  }
  if (has(r, 'patch'))
    itemOps.push(
      patchOp(op, `patch${gv}${scope}${r.kind}`, `partially update the specified ${r.kind}`, r.definition),
    );
  if (has(r, 'delete')) {
    itemOps.push(
      op({
        method: 'delete',
        action: 'delete',
        operationId: `delete${gv}${scope}${r.kind}`,
        description: `delete ${article(r.kind)} ${r.kind}`,
        parameters: DELETE_PARAMS,
        body: DELETE_OPTIONS_DEFINITION,
        response: r.definition,
      }),
    );
  }
  if (itemOps.length > 0) {
    items.push({
      path: `${collection}/{name}`,
      parameters: [name, ...scopeParams, PRETTY],
      operations: itemOps,
    });
  }

  for (const sub of r.subresources) {
    if (sub !== 'status' && sub !== 'scale') continue;
    const definition = sub === 'status' ? r.definition : SCALE_DEFINITION;
    const subGvk = sub === 'status' ? gvk : { group: 'autoscaling', version: 'v1', kind: 'Scale' };
    const word = sub === 'status' ? 'Status' : 'Scale';
    const subOps: Operation[] = [
      op({
        method: 'get',
        action: 'get',
        operationId: `read${gv}${scope}${r.kind}${word}`,
        description: `read ${sub} of the specified ${r.kind}`,
        parameters: [],
        response: definition,
        gvk: subGvk,
      }),
      op({
        method: 'put',
        action: 'put',
        operationId: `replace${gv}${scope}${r.kind}${word}`,
        description: `replace ${sub} of the specified ${r.kind}`,
        parameters: WRITE_PARAMS,
        body: definition,
        response: definition,
        gvk: subGvk,
      }),
      {
        ...patchOp(
          op,
          `patch${gv}${scope}${r.kind}${word}`,
          `partially update ${sub} of the specified ${r.kind}`,
          definition,
        ),
        gvk: subGvk,
      },
    ];
    items.push({
      path: `${collection}/{name}/${sub}`,
      parameters: [name, ...scopeParams, PRETTY],
      operations: subOps,
    });
  }

  if (r.namespaced && has(r, 'list')) {
    items.push({
      path: `${prefix}/${r.plural}`,
      parameters: [PRETTY],
      operations: [
        op({
          method: 'get',
          action: 'list',
          operationId: `list${gv}${r.kind}ForAllNamespaces`,
          description: `list or watch objects of kind ${r.kind}`,
          parameters: LIST_PARAMS,
          response: list,
        }),
      ],
    });
  }
  return items;
}

function patchOp(
  op: (o: Omit<Operation, 'tag' | 'gvk'>) => Operation,
  operationId: string,
  description: string,
  response: string,
): Operation {
  return op({
    method: 'patch',
    action: 'patch',
    operationId,
    description,
    parameters: [...WRITE_PARAMS, FORCE],
    body: PATCH_DEFINITION,
    patch: true,
    response,
  });
}

function article(kind: string): string {
  return /^[AEIOU]/.test(kind) ? 'an' : 'a';
}

/** Every path of one group/version, in path order. */
export function groupVersionPaths(
  group: string,
  version: string,
  resources: readonly ResourceDef[],
): PathItem[] {
  return resources
    .filter((r) => r.group === group && r.version === version)
    .flatMap(resourcePaths)
    .sort((a, b) => compareStrings(a.path, b.path));
}

/** Definitions a group/version's operations name directly (the roots of its schema closure). */
export function operationDefinitions(paths: readonly PathItem[]): Set<string> {
  const names = new Set<string>();
  for (const item of paths) {
    for (const o of item.operations) {
      names.add(o.response);
      if (o.body) names.add(o.body);
    }
  }
  return names;
}
