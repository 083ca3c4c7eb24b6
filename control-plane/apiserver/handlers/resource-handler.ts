import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import {
  badRequest,
  conflict,
  forbidden,
  methodNotAllowed,
  notFound,
  StatusError,
  unsupportedMediaType,
} from '../../../api/errors.js';
import { labelSelectorAsString } from '../../../api/labels.js';
import type { KubeObject } from '../../../api/object.js';
import { applyPatch } from '../../../api/patch/index.js';
import { apiVersionOfResource } from '../../../api/resources.js';
import { toTable } from '../../../api/tables/index.js';
import type { UserInfo } from '../authn/user-info.js';
import {
  decodeObjectBody,
  mediaType,
  parseAccept,
  parseJson,
  readBody,
  TABLE_CONTENT_TYPE,
  writeJson,
} from '../codec.js';
import type { ApiRequest, ApiResponse } from '../http-exchange.js';
import type { ApiMetrics } from '../metrics.js';
import { optionalInt, parseDryRun, parseFieldValidation, parseListQuery } from '../query-options.js';
import type { RequestContext } from '../registry/context.js';
import { evictPod } from '../registry/eviction.js';
import { bindPod } from '../registry/pod-hooks.js';
import { formatTime, type ResourceStore } from '../registry/resource-store.js';
import type { ResourceRequestInfo } from '../request-info.js';
import { selectionPredicate } from '../selection.js';
import { streamWatch } from './watch.js';
import { WatchPredicates } from './watch-predicates.js';

export interface ResourceHandlerDeps {
  stores: ReadonlyMap<string, ResourceStore>;
  metrics: ApiMetrics;
  /** Subresources served by other components (log, exec, proxy...). */
  connect?: (
    req: ApiRequest,
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
  ) => Promise<void>;
}

const MUTATING_VERBS = new Set(['create', 'update', 'patch', 'delete', 'deletecollection']);
const SCALABLE = new Set(['deployments', 'replicasets', 'statefulsets']);
const PATCH_TYPES = new Set([
  'application/json-patch+json',
  'application/merge-patch+json',
  'application/strategic-merge-patch+json',
]);

export function storeKey(group: string, version: string, plural: string): string {
  return `${group}/${version}/${plural}`;
}

/** Serves /api and /apis resource requests: one generic path for every registered resource. */
export class ResourceHandler {
  private readonly watchPredicates = new WatchPredicates();

  constructor(private readonly d: ResourceHandlerDeps) {}

  async handle(
    req: ApiRequest,
    res: ApiResponse,
    url: URL,
    info: ResourceRequestInfo,
    user: UserInfo,
  ): Promise<void> {
    const store = this.d.stores.get(storeKey(info.group, info.version, info.resource));
    if (!store) throw notFoundPath();
    const def = store.def;
    if (!def.namespaced && info.namespace) throw notFoundPath();
    if (info.subresource && !def.subresources.includes(info.subresource)) throw notFoundPath();
    const q = url.searchParams;
    const ctx: RequestContext = {
      user,
      namespace: info.namespace,
      dryRun: false,
      fieldValidation: 'Warn',
      fieldManager: q.get('fieldManager') ?? undefined,
      warnings: [],
      now: new Date(),
    };
    const accept = parseAccept(req.headers.accept);

    if (['log', 'exec', 'attach', 'portforward', 'proxy'].includes(info.subresource)) {
      if (!this.d.connect)
        throw new StatusError(503, 'ServiceUnavailable', `${info.subresource} is not available`);
      return this.d.connect(req, res, info, store);
    }

    if (MUTATING_VERBS.has(info.verb)) {
      ctx.dryRun = parseDryRun(q);
      ctx.fieldValidation = parseFieldValidation(q);
    }
    switch (info.verb) {
      case 'get': {
        const obj = await store.get(info.namespace, info.name, q.get('resourceVersion') ?? undefined);
        if (info.subresource === 'scale') return this.respond(res, 200, toScale(obj), ctx);
        if (accept.table && !info.subresource) {
          return writeJson(
            res,
            200,
            toTable(def, [obj], { now: ctx.now }),
            TABLE_CONTENT_TYPE,
            warningHeaders(ctx),
          );
        }
        return this.respond(res, 200, obj, ctx);
      }
      case 'list': {
        if (info.subresource) throw methodNotAllowed('list is not supported on subresources');
        const lq = parseListQuery(q);
        const predicate = selectionPredicate(def, lq.labelSelector, lq.fieldSelector);
        const result = await store.list(info.namespace, {
          resourceVersion: lq.resourceVersion,
          resourceVersionMatch: lq.resourceVersionMatch,
          limit: lq.limit,
          continue: lq.continue,
          predicate,
        });
        const listMeta = {
          resourceVersion: result.resourceVersion,
          ...(result.continue ? { continue: result.continue } : {}),
          ...(result.remainingItemCount !== undefined
            ? { remainingItemCount: result.remainingItemCount }
            : {}),
        };
        if (accept.table) {
          const table = toTable(def, result.items, {
            now: ctx.now,
            resourceVersion: result.resourceVersion,
            continue: result.continue,
          });
          return writeJson(res, 200, table, TABLE_CONTENT_TYPE);
        }
        return writeJson(res, 200, {
          kind: def.listKind,
          apiVersion: apiVersionOfResource(def),
          metadata: listMeta,
          items: result.items,
        });
      }
      case 'watch': {
        const lq = parseListQuery(q);
        const wpred = this.watchPredicates.get(def, info.name ?? '', lq.labelSelector, lq.fieldSelector);
        const watch = store.watch(info.namespace, '', {
          resourceVersion: lq.sendInitialEvents && !lq.resourceVersion ? '0' : lq.resourceVersion,
          predicate: wpred,
          bookmarks: lq.allowWatchBookmarks,
        });
        return streamWatch(res, watch, {
          def,
          table: accept.table,
          timeoutSeconds: lq.timeoutSeconds,
          metrics: this.d.metrics,
          translate: (e) => store.translate(e, info.name),
          fromStorage: (o) => store.fromStorage(o),
        });
      }
      case 'create':
        return this.create(req, res, info, store, ctx);
      case 'update':
        return this.update(req, res, info, store, ctx);
      case 'patch':
        return this.patch(req, res, info, store, ctx);
      case 'delete':
        return this.delete(req, res, q, info, store, ctx);
      case 'deletecollection':
        return this.deleteCollection(req, res, q, info, store, ctx);
      default:
        throw methodNotAllowed(`${req.method} is not supported on ${def.plural}`);
    }
  }

  private async create(
    req: ApiRequest,
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
  ): Promise<void> {
    const body = decodeObjectBody(req.headers['content-type'], await readBody(req));
    if (info.subresource === 'binding' && info.resource === 'pods') {
      return this.bind(res, info, store, asObject(body), ctx);
    }
    if (info.subresource === 'eviction' && info.resource === 'pods') {
      const pdbs = this.d.stores.get(storeKey('policy', 'v1', 'poddisruptionbudgets'));
      await evictPod({ pods: store, pdbs }, info.namespace, info.name, asObject(body), ctx);
      return this.respond(res, 201, successStatus(), ctx);
    }
    if (info.subresource || info.name)
      throw methodNotAllowed(`POST is not supported on ${info.resource}/${info.subresource || info.name}`);
    if (store.def.namespaced && !info.namespace) throw notFoundPath();
    if (store.def.namespaced) await this.admitNamespace(info.namespace);
    const created = await store.create(asObject(body), ctx);
    return this.respond(res, 201, created, ctx);
  }

  private async bind(
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
    binding: KubeObject,
    ctx: RequestContext,
  ): Promise<void> {
    const target = (binding.target as { name?: string; kind?: string } | undefined)?.name;
    if (!target) throw badRequest('binding target name is required');
    if (binding.metadata?.name && binding.metadata.name !== info.name)
      throw badRequest('binding name does not match the pod name');
    await store.update(
      info.namespace,
      info.name,
      (pod) => {
        const current = (pod.spec as { nodeName?: string } | undefined)?.nodeName;
        if (current)
          throw conflict(store.qr, info.name, `pod ${info.name} is already assigned to node "${current}"`);
        if (pod.metadata.deletionTimestamp)
          throw conflict(
            store.qr,
            info.name,
            `pod ${info.name} is being deleted, cannot be assigned to a host`,
          );
        return bindPod(pod, target, formatTime(ctx.now));
      },
      ctx,
      {
        subresource: '__binding',
        preconditions: { uid: binding.metadata?.uid, resourceVersion: binding.metadata?.resourceVersion },
      },
    );
    return this.respond(res, 201, successStatus(), ctx);
  }

  private async update(
    req: ApiRequest,
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
  ): Promise<void> {
    if (!info.name) throw methodNotAllowed('PUT requires a name');
    const body = asObject(decodeObjectBody(req.headers['content-type'], await readBody(req)));
    const rv = body.metadata?.resourceVersion;
    if (info.subresource === 'scale') {
      const replicas = (body.spec as { replicas?: unknown } | undefined)?.replicas;
      const updated = await this.scale(info, store, ctx, () => replicas, rv);
      return this.respond(res, 200, updated, ctx);
    }
    if (info.subresource === 'finalize') {
      const updated = await store.update(
        info.namespace,
        info.name,
        (current) => ({
          ...current,
          spec: {
            ...((current.spec as object) ?? {}),
            finalizers: (body.spec as { finalizers?: string[] })?.finalizers ?? [],
          },
        }),
        ctx,
        { subresource: '__finalize', preconditions: { resourceVersion: rv } },
      );
      return this.respond(res, 200, updated, ctx);
    }
    const updated = await store.update(info.namespace, info.name, () => body, ctx, {
      subresource: info.subresource || undefined,
      preconditions: { resourceVersion: rv, uid: body.metadata?.uid },
    });
    return this.respond(res, 200, updated, ctx);
  }

  private async patch(
    req: ApiRequest,
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
  ): Promise<void> {
    if (!info.name) throw methodNotAllowed('PATCH requires a name');
    const type = mediaType(req.headers['content-type']);
    if (type === 'application/apply-patch+yaml' || type === 'application/apply-patch+cbor') {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        'server-side apply is not supported by this server yet; use client-side `kubectl apply`',
      );
    }
    if (!PATCH_TYPES.has(type)) throw unsupportedMediaType(type);
    const patchBody = parseJson(await readBody(req));
    const def = store.def;
    const gvk = { group: def.group, version: def.version, kind: def.kind };
    if (info.subresource === 'scale') {
      const updated = await this.scale(info, store, ctx, (current) => {
        const patched = applyPatch(type, toScale(current), patchBody, {
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
        });
        return (patched.spec as { replicas?: unknown } | undefined)?.replicas;
      });
      return this.respond(res, 200, updated, ctx);
    }
    const updated = await store.update(
      info.namespace,
      info.name,
      (current) => applyPatch(type, current, patchBody, gvk),
      ctx,
      {
        subresource: info.subresource || undefined,
      },
    );
    return this.respond(res, 200, updated, ctx);
  }

  private async scale(
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
    replicasOf: (current: KubeObject) => unknown,
    resourceVersion?: string,
  ): Promise<KubeObject> {
    if (!SCALABLE.has(info.resource)) throw notFoundPath();
    const updated = await store.update(
      info.namespace,
      info.name,
      (current) => {
        const replicas = replicasOf(current);
        if (typeof replicas !== 'number' || !Number.isInteger(replicas) || replicas < 0) {
          throw new StatusError(
            422,
            'Invalid',
            `Scale.autoscaling "${info.name}" is invalid: spec.replicas: Invalid value: ${JSON.stringify(replicas)}: must be greater than or equal to 0`,
            {
              name: info.name,
              group: 'autoscaling',
              kind: 'Scale',
              causes: [
                {
                  reason: 'FieldValueInvalid',
                  message: 'must be greater than or equal to 0',
                  field: 'spec.replicas',
                },
              ],
            },
          );
        }
        return { ...current, spec: { ...((current.spec as object) ?? {}), replicas } };
      },
      ctx,
      { preconditions: { resourceVersion } },
    );
    return toScale(updated);
  }

  private async delete(
    req: ApiRequest,
    res: ApiResponse,
    q: URLSearchParams,
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
  ): Promise<void> {
    if (info.subresource) throw methodNotAllowed('DELETE is not supported on subresources');
    const options = await deleteOptions(req, q);
    ctx.dryRun ||= (options.dryRun ?? []).includes('All');
    const result = await store.delete(info.namespace, info.name, options, ctx);
    // The object stays while graceful termination or finalizers are pending: 202 as upstream.
    const code = result.metadata.deletionTimestamp && !ctx.dryRun ? 202 : 200;
    return this.respond(res, code, result, ctx);
  }

  private async deleteCollection(
    req: ApiRequest,
    res: ApiResponse,
    q: URLSearchParams,
    info: ResourceRequestInfo,
    store: ResourceStore,
    ctx: RequestContext,
  ): Promise<void> {
    const options = await deleteOptions(req, q);
    const lq = parseListQuery(q);
    const predicate = selectionPredicate(store.def, lq.labelSelector, lq.fieldSelector);
    const list = await store.list(info.namespace, { predicate });
    const deleted: KubeObject[] = [];
    for (const item of list.items) {
      try {
        deleted.push(
          await store.delete(item.metadata.namespace ?? '', item.metadata.name ?? '', options, ctx),
        );
      } catch (e) {
        if (!(e instanceof StatusError && e.reason === 'NotFound')) throw e;
      }
    }
    return this.respond(
      res,
      200,
      {
        kind: store.def.listKind,
        apiVersion: apiVersionOfResource(store.def),
        metadata: { resourceVersion: list.resourceVersion },
        items: deleted,
      } as unknown as KubeObject,
      ctx,
    );
  }

  /** NamespaceLifecycle admission: no new objects in a missing or terminating namespace. */
  private async admitNamespace(namespace: string): Promise<void> {
    const namespaces = this.d.stores.get(storeKey('', 'v1', 'namespaces'));
    if (!namespaces) return;
    let ns: KubeObject;
    try {
      // The watch cache answers without a round trip; a miss may only be cache lag, so confirm it.
      ns = await namespaces.get('', namespace, '0').catch((e: unknown) => {
        if (e instanceof StatusError && e.reason === 'NotFound') return namespaces.get('', namespace);
        throw e;
      });
    } catch (e) {
      if (e instanceof StatusError && e.reason === 'NotFound')
        throw notFound({ group: '', resource: 'namespaces' }, namespace);
      throw e;
    }
    if (ns.metadata.deletionTimestamp) {
      throw forbidden(
        `unable to create new content in namespace ${namespace} because it is being terminated`,
      );
    }
  }

  private respond(res: ApiResponse, code: number, body: unknown, ctx: RequestContext): void {
    writeJson(res, code, body, undefined, warningHeaders(ctx));
  }
}

async function deleteOptions(req: ApiRequest, q: URLSearchParams): Promise<DeleteOptions> {
  const raw = await readBody(req);
  let options: DeleteOptions = {};
  if (raw.length > 0) {
    const parsed = decodeObjectBody(req.headers['content-type'], raw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
      throw badRequest('DeleteOptions must be an object');
    options = parsed as DeleteOptions;
  }
  const grace = optionalInt(q, 'gracePeriodSeconds', 0);
  if (grace !== undefined) options.gracePeriodSeconds = grace;
  const policy = q.get('propagationPolicy');
  if (policy) options.propagationPolicy = policy;
  if (
    options.propagationPolicy &&
    !['Orphan', 'Background', 'Foreground'].includes(options.propagationPolicy)
  ) {
    throw badRequest(
      `propagationPolicy: Unsupported value: "${options.propagationPolicy}": supported values: "Foreground", "Background", "Orphan"`,
    );
  }
  return options;
}

function warningHeaders(ctx: RequestContext): Record<string, string> {
  if (ctx.warnings.length === 0) return {};
  return { Warning: ctx.warnings.map((w) => `299 - ${JSON.stringify(w)}`).join(', ') };
}

function asObject(body: unknown): KubeObject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw badRequest('the body of the request must be a JSON object');
  }
  return body as KubeObject;
}

function toScale(obj: KubeObject): KubeObject {
  const spec = (obj.spec ?? {}) as {
    replicas?: number;
    selector?: Parameters<typeof labelSelectorAsString>[0];
  };
  const status = (obj.status ?? {}) as { replicas?: number };
  const m = obj.metadata;
  return {
    kind: 'Scale',
    apiVersion: 'autoscaling/v1',
    metadata: {
      name: m.name,
      namespace: m.namespace,
      uid: m.uid,
      resourceVersion: m.resourceVersion,
      creationTimestamp: m.creationTimestamp,
    },
    spec: { replicas: spec.replicas ?? 0 },
    status: {
      replicas: status.replicas ?? 0,
      selector: spec.selector ? labelSelectorAsString(spec.selector) : '',
    },
  };
}

function successStatus(): KubeObject {
  return {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Success',
    code: 201,
  } as unknown as KubeObject;
}

export function notFoundPath(): StatusError {
  return new StatusError(404, 'NotFound', 'the server could not find the requested resource');
}
