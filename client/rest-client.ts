import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { DeleteOptions, Status } from 'kubernetes-types/meta/v1.js';
import type { Dispatcher } from 'undici';
import { SkiffError } from '../api/errors.js';
import type { ApiObject, KubeList, KubeObject, WatchEvent } from '../api/object.js';
import type { ResourceDef } from '../api/resources.js';
import { type Clock, realClock } from './clock.js';
import type { ClusterConnection } from './kubeconfig.js';
import { statusErrorFrom } from './status-error.js';
import { TokenBucket } from './token-bucket.js';
import { Agent, request } from './undici-core.js';
import { decodeWatchStream } from './watch.js';

/** What addressing a resource needs; a `ResourceDef` from api/resources.ts fits. */
export type ResourceRef = Pick<ResourceDef, 'group' | 'version' | 'plural' | 'namespaced'>;

export type PatchType = 'merge' | 'strategic' | 'json' | 'apply';

const PATCH_CONTENT_TYPES: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  strategic: 'application/strategic-merge-patch+json',
  json: 'application/json-patch+json',
  apply: 'application/apply-patch+yaml',
};

type Query = Record<string, string | number | boolean | undefined>;

export interface CallOptions {
  namespace?: string;
  signal?: AbortSignal;
  /** Overrides the client's per-request timeout. */
  timeoutMs?: number;
}

export interface ListOptions extends CallOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
}

export interface WriteOptions extends CallOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: 'Ignore' | 'Warn' | 'Strict';
}

export interface PatchOptions extends WriteOptions {
  /** Server-side apply: take fields owned by other managers. */
  force?: boolean;
}

export interface DeleteCallOptions extends CallOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: 'Orphan' | 'Background' | 'Foreground';
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WatchOptions {
  namespace?: string;
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  signal?: AbortSignal;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ApiClientOptions {
  /** Sent as `skiff/<component>` in User-Agent. */
  component?: string;
  /** Per-request timeout (not applied to watch streams). Default 30 s. */
  timeoutMs?: number;
  /** Client-side rate limit; set `qps: 0` to disable. Default 50 qps, burst 100. */
  qps?: number;
  burst?: number;
  clock?: Clock;
  /** Use this dispatcher instead of building an Agent from the connection (tests). */
  dispatcher?: Dispatcher;
}

const TOKEN_FILE_TTL_MS = 60_000;

/** Builds `/api/v1/namespaces/ns/pods/name/status`-style paths. */
export function resourcePath(
  res: ResourceRef,
  opts: { namespace?: string; name?: string; subresource?: string } = {},
): string {
  let path = res.group ? `/apis/${res.group}/${res.version}` : `/api/${res.version}`;
  if (res.namespaced && opts.namespace) path += `/namespaces/${encodeURIComponent(opts.namespace)}`;
  path += `/${res.plural}`;
  if (opts.name !== undefined) {
    if (!opts.name) throw new Error('resource name must not be empty');
    path += `/${encodeURIComponent(opts.name)}`;
    if (opts.subresource) path += `/${opts.subresource}`;
  }
  return path;
}

function queryString(query: Query | undefined): string {
  if (!query) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

function writeQuery(opts: PatchOptions): Query {
  return {
    dryRun: opts.dryRun ? 'All' : undefined,
    fieldManager: opts.fieldManager,
    fieldValidation: opts.fieldValidation,
    force: opts.force,
  };
}

function nsOf(obj: ApiObject, opts: CallOptions): string | undefined {
  return opts.namespace ?? obj.metadata?.namespace;
}

function nameOf(obj: ApiObject): string {
  const name = obj.metadata?.name;
  if (!name) throw new Error('object has no metadata.name');
  return name;
}

/**
 * A Kubernetes REST client over one undici Agent (HTTP/1.1 keep-alive). Non-2xx answers throw
 * `StatusError`; failures to reach the server throw `SkiffError` `SKIFF_API_UNAVAILABLE`.
 */
export class ApiClient {
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly userAgent: string;
  private readonly timeoutMs: number;
  private readonly bucket: TokenBucket | undefined;
  private readonly clock: Clock;
  private cachedToken: { value: string; readAt: number } | undefined;

  constructor(
    readonly connection: ClusterConnection,
    opts: ApiClientOptions = {},
  ) {
    this.clock = opts.clock ?? realClock;
    this.userAgent = `skiff/${opts.component ?? 'client'}`;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
    const qps = opts.qps ?? 50;
    this.bucket = qps > 0 ? new TokenBucket(qps, opts.burst ?? 100, this.clock) : undefined;
    if (opts.dispatcher) {
      this.dispatcher = opts.dispatcher;
      this.ownsDispatcher = false;
    } else {
      this.dispatcher = new Agent({
        keepAliveTimeout: 30_000,
        connections: 64,
        connect: {
          // One context for every connection: building it (parsing the CA and key) per
          // connection cost a busy controller-manager a sixth of its CPU.
          secureContext: createSecureContext({
            ca: connection.ca,
            cert: connection.cert,
            key: connection.key,
          }),
          rejectUnauthorized: !connection.insecure,
        },
      });
      this.ownsDispatcher = true;
    }
  }

  /** Closes pooled connections. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  async get<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    name: string,
    opts: CallOptions = {},
  ): Promise<T> {
    return this.request<T>('GET', resourcePath(res, { namespace: opts.namespace, name }), opts);
  }

  async list<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    return this.request<KubeList<T>>('GET', resourcePath(res, { namespace: opts.namespace }), {
      ...opts,
      query: {
        labelSelector: opts.labelSelector,
        fieldSelector: opts.fieldSelector,
        limit: opts.limit,
        continue: opts.continue,
        resourceVersion: opts.resourceVersion,
        resourceVersionMatch: opts.resourceVersionMatch,
      },
    });
  }

  /**
   * Lists every page (`limit` per page, default 500) into one list carrying the first page's
   * resourceVersion. If a continue token expires mid-way, lists again without paging.
   */
  async listAll<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    opts: ListOptions = {},
  ): Promise<KubeList<T>> {
    const limit = opts.limit ?? 500;
    const first = await this.list<T>(res, { ...opts, limit });
    const items = [...first.items];
    let next = first.metadata?.continue;
    while (next) {
      let page: KubeList<T>;
      try {
        page = await this.list<T>(res, { ...opts, limit, continue: next, resourceVersion: undefined });
      } catch (e) {
        if ((e as { code?: unknown }).code === 410) return this.list<T>(res, { ...opts, limit: undefined });
        throw e;
      }
      items.push(...page.items);
      next = page.metadata?.continue;
    }
    return { ...first, metadata: { resourceVersion: first.metadata?.resourceVersion }, items };
  }

  async create<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.request<T>('POST', resourcePath(res, { namespace: nsOf(obj, opts) }), {
      ...opts,
      query: writeQuery(opts),
      body: obj,
    });
  }

  /** PUT; the object's metadata.resourceVersion is the optimistic-concurrency precondition (409 on mismatch). */
  async update<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    return this.request<T>('PUT', resourcePath(res, { namespace: nsOf(obj, opts), name: nameOf(obj) }), {
      ...opts,
      query: writeQuery(opts),
      body: obj,
    });
  }

  async updateStatus<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    obj: T,
    opts: WriteOptions = {},
  ): Promise<T> {
    const path = resourcePath(res, { namespace: nsOf(obj, opts), name: nameOf(obj), subresource: 'status' });
    return this.request<T>('PUT', path, { ...opts, query: writeQuery(opts), body: obj });
  }

  async patch<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts: PatchOptions & { subresource?: string } = {},
  ): Promise<T> {
    if (type === 'apply' && !opts.fieldManager) throw new Error('server-side apply needs a fieldManager');
    const path = resourcePath(res, { namespace: opts.namespace, name, subresource: opts.subresource });
    return this.request<T>('PATCH', path, {
      ...opts,
      query: writeQuery(opts),
      body: patch,
      contentType: PATCH_CONTENT_TYPES[type],
    });
  }

  async delete<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    name: string,
    opts: DeleteCallOptions = {},
  ): Promise<T | Status> {
    const body: DeleteOptions = { kind: 'DeleteOptions', apiVersion: 'v1' };
    if (opts.gracePeriodSeconds !== undefined) body.gracePeriodSeconds = opts.gracePeriodSeconds;
    if (opts.propagationPolicy) body.propagationPolicy = opts.propagationPolicy;
    if (opts.preconditions) body.preconditions = opts.preconditions;
    if (opts.dryRun) body.dryRun = ['All'];
    return this.request<T | Status>('DELETE', resourcePath(res, { namespace: opts.namespace, name }), {
      ...opts,
      body,
    });
  }

  /**
   * Any subresource: `status`, `scale`, `binding` (POST), `eviction` (POST), `log` (text).
   * `patchType` is required for PATCH.
   */
  async subresource<T = KubeObject>(
    method: 'GET' | 'PUT' | 'POST' | 'PATCH',
    res: ResourceRef,
    name: string,
    subresource: string,
    opts: PatchOptions & { body?: unknown; patchType?: PatchType; query?: Query } = {},
  ): Promise<T> {
    const path = resourcePath(res, { namespace: opts.namespace, name, subresource });
    if (method === 'PATCH' && !opts.patchType) throw new Error('PATCH needs a patchType');
    return this.request<T>(method, path, {
      ...opts,
      query: { ...writeQuery(opts), ...opts.query },
      body: opts.body,
      contentType: opts.patchType ? PATCH_CONTENT_TYPES[opts.patchType] : undefined,
    });
  }

  /**
   * Watches a collection. Ends when the server closes the stream (timeoutSeconds) or the signal
   * aborts; an ERROR event throws its `StatusError` (410 Expired: list again).
   */
  async *watch<T extends ApiObject = KubeObject>(
    res: ResourceRef,
    opts: WatchOptions = {},
  ): AsyncGenerator<WatchEvent<T>, void, undefined> {
    const path = resourcePath(res, { namespace: opts.namespace });
    const query: Query = {
      watch: 'true',
      resourceVersion: opts.resourceVersion,
      labelSelector: opts.labelSelector,
      fieldSelector: opts.fieldSelector,
      allowWatchBookmarks: opts.allowWatchBookmarks ? 'true' : undefined,
      timeoutSeconds: opts.timeoutSeconds,
    };
    const local = new AbortController();
    const signal = opts.signal ? AbortSignal.any([opts.signal, local.signal]) : local.signal;
    const res0 = await this.send('GET', path + queryString(query), { signal, stream: true });
    if (res0.statusCode < 200 || res0.statusCode >= 300) throw await this.errorFrom(res0);
    try {
      yield* decodeWatchStream<T>(res0.body);
    } catch (e) {
      if (opts.signal?.aborted) return;
      if (isUndiciError(e)) {
        throw new SkiffError('SKIFF_API_UNAVAILABLE', `watch ${path}: ${(e as Error).message}`, { cause: e });
      }
      throw e;
    } finally {
      // The consumer stopped early or the stream broke: close the connection.
      local.abort();
      res0.body.destroy();
    }
  }

  /** A raw request for odd endpoints (`/version`, `/readyz`); JSON answers are parsed, others returned as text. */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
    const res = await this.send(method, path + queryString(opts.query), {
      signal,
      body: opts.body,
      contentType: opts.contentType,
      headers: opts.headers,
    });
    if (res.statusCode < 200 || res.statusCode >= 300) throw await this.errorFrom(res);
    let text: string;
    try {
      text = await res.body.text();
    } catch (e) {
      throw this.networkError(method, path, e, opts.signal);
    }
    const type = String(res.headers['content-type'] ?? '');
    if (type.includes('json') && text) return JSON.parse(text) as T;
    return text as T;
  }

  private async send(
    method: string,
    pathAndQuery: string,
    opts: {
      signal: AbortSignal;
      body?: unknown;
      contentType?: string;
      headers?: Record<string, string>;
      stream?: boolean;
    },
  ): Promise<Dispatcher.ResponseData> {
    if (this.bucket) {
      const wait = this.bucket.reserve();
      if (wait > 0) await this.clock.sleep(wait, opts.signal);
    }
    const headers: Record<string, string> = {
      'user-agent': this.userAgent,
      accept: 'application/json',
      ...opts.headers,
    };
    const token = this.bearerToken();
    if (token) headers.authorization = `Bearer ${token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body);
      headers['content-type'] = opts.contentType ?? 'application/json';
    }
    try {
      return await request(this.dispatcher, this.connection.server + pathAndQuery, {
        method: method as Dispatcher.HttpMethod,
        headers,
        body,
        signal: opts.signal,
        headersTimeout: opts.stream ? this.timeoutMs : 0,
        bodyTimeout: opts.stream ? 0 : undefined,
      });
    } catch (e) {
      throw this.networkError(method, pathAndQuery, e, opts.signal);
    }
  }

  private networkError(method: string, path: string, e: unknown, callerSignal?: AbortSignal): unknown {
    // An abort the caller asked for is passed through as is.
    if (
      callerSignal?.aborted &&
      !(callerSignal.reason instanceof DOMException && callerSignal.reason.name === 'TimeoutError')
    ) {
      return e;
    }
    const why = e instanceof Error ? e.message : String(e);
    return new SkiffError('SKIFF_API_UNAVAILABLE', `${method} ${this.connection.server}${path}: ${why}`, {
      cause: e,
    });
  }

  private async errorFrom(res: Dispatcher.ResponseData): Promise<Error> {
    let text = '';
    try {
      text = await res.body.text();
    } catch {
      // The body is only used for the message.
    }
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {
      // Not JSON: keep the text.
    }
    return statusErrorFrom(res.statusCode, body);
  }

  private bearerToken(): string | undefined {
    if (this.connection.token) return this.connection.token;
    const file = this.connection.tokenFile;
    if (!file) return undefined;
    const now = this.clock.now();
    if (!this.cachedToken || now - this.cachedToken.readAt > TOKEN_FILE_TTL_MS) {
      try {
        this.cachedToken = { value: readFileSync(file, 'utf8').trim(), readAt: now };
      } catch (e) {
        if (!this.cachedToken)
          throw new SkiffError('SKIFF_KUBECONFIG_INVALID', `cannot read token file ${file}`, { cause: e });
      }
    }
    return this.cachedToken?.value;
  }
}

function isUndiciError(e: unknown): boolean {
  const code = (e as { code?: unknown })?.code;
  return typeof code === 'string' && (code.startsWith('UND_ERR') || code.startsWith('E'));
}
