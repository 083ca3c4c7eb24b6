import type { IncomingMessage } from 'node:http';
import { createSecureServer, type Http2SecureServer, type ServerHttp2Session } from 'node:http2';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { register } from 'prom-client';
import { internalError, StatusError, unauthorized } from '../../api/errors.js';
import { http } from '../../api/node-http.js';
import type { KubeObject } from '../../api/object.js';
import { buildV3GroupVersion, buildV3Root } from '../../api/openapi/index.js';
import { RESOURCES, type ResourceDef } from '../../api/resources.js';
import type { Store } from '../storage/store.js';
import type { Authenticator } from './authn/authenticator.js';
import type { UserInfo } from './authn/user-info.js';
import { decodeObjectBody, parseAccept, readBody, writeJson, writeStatusError } from './codec.js';
import { Discovery, REVIEW_RESOURCES } from './discovery.js';
import { KubeletProxy } from './handlers/kubelet-proxy.js';
import { OpenApiV2Handler } from './handlers/openapi-v2.js';
import { notFoundPath, ResourceHandler, storeKey } from './handlers/resource-handler.js';
import { answerReview } from './handlers/reviews.js';
import { type ApiRequest, type ApiResponse, writeHead } from './http-exchange.js';
import { type ApiMetrics, apiMetrics } from './metrics.js';
import type { Pki } from './pki.js';
import { eventHooks } from './registry/event-hooks.js';
import type { KindHooks } from './registry/hooks.js';
import { jobHooks, resetStatusHooks } from './registry/job-hooks.js';
import { namespaceHooks } from './registry/namespace-hooks.js';
import { podHooks } from './registry/pod-hooks.js';
import { ResourceStore } from './registry/resource-store.js';
import { ServiceAllocator } from './registry/service-allocator.js';
import { serviceHooks } from './registry/service-hooks.js';
import { storageConversionFor } from './registry/storage-conversion.js';
import { parseRequestInfo, type RequestInfo } from './request-info.js';
import { versionInfo } from './version.js';

export interface ApiServerOptions {
  store: Store;
  pki: Pki;
  authenticator: Authenticator;
  /** Client certificate the API server presents to kubelets (log, exec, port-forward, node proxy). */
  kubeletClient: { certPem: string; keyPem: string };
  bindAddress: string;
  securePort: number;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  log: Logger;
  resources?: readonly ResourceDef[];
  /** Serve HTTP/2 (ALPN h2) beside HTTP/1.1 on the secure port; default true. */
  http2?: boolean;
  /** SETTINGS_MAX_CONCURRENT_STREAMS per HTTP/2 connection; default 1000 (kube-apiserver's). */
  http2MaxStreamsPerConnection?: number;
}

const PUBLIC_PATHS = new Set(['/healthz', '/livez', '/readyz', '/version']);
const RESET_STATUS_KINDS = new Set(['Deployment', 'ReplicaSet', 'DaemonSet', 'StatefulSet', 'CronJob']);

/** Idle HTTP/1.1 keep-alive connections, and HTTP/2 connections without open streams, close after this. */
const IDLE_TIMEOUT_MS = 65_000;
/** After close() sends GOAWAY, HTTP/2 connections still open (watches) are cut after this. */
const SHUTDOWN_GRACE_MS = 1_000;
/** Per-connection cap on what an HTTP/2 session holds (queued output, header tables), in MiB. */
const HTTP2_SESSION_MEMORY_MIB = 32;
/** Flow-control window per request stream (upstream's MaxUploadBufferPerStream). */
const HTTP2_STREAM_WINDOW = 256 * 1024;

/**
 * The HTTPS API server. Each request goes through the stages authentication -> authorization
 * -> handler (admission, validation and storage happen in the registry).
 */
export class ApiServer {
  readonly stores: Map<string, ResourceStore>;
  readonly allocator: ServiceAllocator;
  private readonly server: HttpsServer | Http2SecureServer;
  /** Open client connections, so close() can end them (the HTTP/2 server has no closeAllConnections). */
  private readonly connections = new Set<TLSSocket>();
  private readonly sessions = new Set<ServerHttp2Session>();
  private readonly discovery: Discovery;
  private readonly handler: ResourceHandler;
  private readonly metrics: ApiMetrics;
  private readonly resources: readonly ResourceDef[];
  private openapiRoot: object | undefined;
  private readonly openapiGroupVersions = new Map<string, object | undefined>();
  private readonly openapiV2: OpenApiV2Handler;

  constructor(private readonly o: ApiServerOptions) {
    this.resources = o.resources ?? RESOURCES;
    this.metrics = apiMetrics();
    this.allocator = new ServiceAllocator(o.store, o.serviceClusterIpRange, o.serviceNodePortRange);
    this.stores = new Map();
    for (const def of this.resources) {
      this.stores.set(
        storeKey(def.group, def.version, def.plural),
        new ResourceStore(def, o.store, this.hooksFor(def), storageConversionFor(def)),
      );
    }
    this.discovery = new Discovery(this.resources);
    this.openapiV2 = new OpenApiV2Handler(this.resources);
    const kubeletProxy = new KubeletProxy(() => this.store('', 'v1', 'nodes'), o.kubeletClient);
    this.handler = new ResourceHandler({
      stores: this.stores,
      metrics: this.metrics,
      connect: (req, res, info, store) => kubeletProxy.serve(req, res, info, store),
    });
    const tls = {
      key: o.pki.servingKeyPem,
      cert: o.pki.servingCertPem,
      ca: [o.pki.caCertPem],
      requestCert: true,
      rejectUnauthorized: false,
    };
    const onRequest = (req: ApiRequest, res: ApiResponse) => void this.serve(req, res);
    if (o.http2 === false) {
      this.server = createHttpsServer(tls, onRequest);
    } else {
      // One port for both: ALPN picks h2 (kubectl, client-go) or http/1.1 (exec, attach, port-forward
      // upgrades, and clients without HTTP/2), whose requests take the node:http path below.
      const maxStreams = o.http2MaxStreamsPerConnection ?? 1000;
      const server = createSecureServer(
        {
          ...tls,
          allowHTTP1: true,
          maxSessionMemory: HTTP2_SESSION_MEMORY_MIB,
          settings: { maxConcurrentStreams: maxStreams, initialWindowSize: HTTP2_STREAM_WINDOW },
        },
        onRequest,
      );
      server.on('session', (session) => this.trackSession(session));
      this.server = server;
    }
    this.server.on('secureConnection', (socket: TLSSocket) => {
      // Small writes (watch events) go out at once; node:http does this itself, node:http2 not.
      socket.setNoDelay(true);
      this.connections.add(socket);
      socket.once('close', () => this.connections.delete(socket));
    });
    // Upgrade requests (exec/attach over WebSocket or SPDY) get a response bound to the raw socket.
    // They come over HTTP/1.1 only (HTTP/2 has no Upgrade), on either server.
    this.server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      const res = new http.ServerResponse(req);
      res.assignSocket(socket);
      void this.serve(req, res);
    });
    // The HTTP/2 server reads these for its HTTP/1.1 connections too (its typings omit them).
    Object.assign(this.server, {
      keepAliveTimeout: IDLE_TIMEOUT_MS,
      headersTimeout: IDLE_TIMEOUT_MS + 1_000,
      requestTimeout: 0,
    });
  }

  /**
   * An HTTP/2 connection closes (GOAWAY) once it has had no open stream for the idle timeout, as
   * an HTTP/1.1 keep-alive connection does; a connection carrying watches is never idle. Node's own
   * session timeout counts frames, so it would cut a quiet watch, hence the stream count here.
   */
  private trackSession(session: ServerHttp2Session): void {
    this.sessions.add(session);
    let open = 0;
    let idle: NodeJS.Timeout | undefined;
    const arm = () => {
      idle = setTimeout(() => {
        if (!session.closed && !session.destroyed) session.close();
      }, IDLE_TIMEOUT_MS);
      idle.unref();
    };
    arm();
    session.on('stream', (stream) => {
      open++;
      clearTimeout(idle);
      stream.once('close', () => {
        open--;
        if (open === 0 && !session.closed) arm();
      });
    });
    // A connection reset or a protocol error ends this session only.
    session.on('error', (err) => this.o.log.debug({ err }, 'http2 session error'));
    session.once('close', () => {
      clearTimeout(idle);
      this.sessions.delete(session);
    });
    session.once('connect', () => session.setLocalWindowSize(HTTP2_STREAM_WINDOW * 8));
  }

  store(group: string, version: string, plural: string): ResourceStore {
    const s = this.stores.get(storeKey(group, version, plural));
    if (!s) throw new Error(`no store for ${group}/${version}/${plural}`);
    return s;
  }

  async listen(): Promise<AddressInfo> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.o.securePort, this.o.bindAddress, () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    // Every resource gets its watch cache up front, as upstream does, so reads at resourceVersion 0
    // and updates start from memory. A cache that cannot start now starts with its first watch.
    void Promise.allSettled([...this.stores.values()].map((s) => this.o.store.warmCache?.(s.prefix)));
    const addr = this.server.address() as AddressInfo;
    this.o.log.info({ address: addr.address, port: addr.port }, 'apiserver listening');
    return addr;
  }

  /**
   * Stops listening and ends every connection: HTTP/1.1 ones at once (as closeAllConnections did),
   * HTTP/2 ones with GOAWAY so clients open no new streams there, cut after a short grace when
   * streams (watches) keep them open.
   */
  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      for (const session of this.sessions) session.close();
      for (const socket of this.connections) if (socket.alpnProtocol !== 'h2') socket.destroy();
      if (this.sessions.size > 0) {
        setTimeout(() => {
          for (const session of this.sessions) session.destroy();
        }, SHUTDOWN_GRACE_MS).unref();
      }
    });
  }

  private hooksFor(def: ResourceDef): KindHooks | undefined {
    if (def.group === '' && def.kind === 'Pod')
      return podHooks(() => this.store('scheduling.k8s.io', 'v1', 'priorityclasses'));
    if (def.group === '' && def.kind === 'Namespace') return namespaceHooks;
    if (def.group === '' && def.kind === 'Service') return serviceHooks(this.allocator);
    if (def.group === 'batch' && def.kind === 'Job') return jobHooks;
    if (def.kind === 'Event') return eventHooks;
    if (RESET_STATUS_KINDS.has(def.kind)) return resetStatusHooks;
    return undefined;
  }

  private async serve(req: ApiRequest, res: ApiResponse): Promise<void> {
    const started = process.hrtime.bigint();
    const url = new URL(req.url ?? '/', 'https://localhost');
    let info: RequestInfo | undefined;
    let verb = (req.method ?? 'GET').toLowerCase();
    let resource = '';
    const mutating = verb !== 'get' && verb !== 'head';
    this.metrics.inflight.inc({ kind: mutating ? 'mutating' : 'readOnly' });
    try {
      info = parseRequestInfo(req.method ?? 'GET', url);
      if (info.isResourceRequest) {
        verb = info.verb;
        resource = info.subresource ? `${info.resource}/${info.subresource}` : info.resource;
      }
      const user = await this.o.authenticator.authenticate(req);
      if (!user && !PUBLIC_PATHS.has(url.pathname)) throw unauthorized();
      // Authorization: every authenticated user may do everything until RBAC lands.
      if (info.isResourceRequest) {
        const ri = info;
        if (REVIEW_RESOURCES.some((r) => r.group === ri.group && r.plural === ri.resource)) {
          await this.serveReview(req, res, ri.resource, user as UserInfo);
        } else {
          await this.handler.handle(req, res, url, ri, user as UserInfo);
        }
      } else {
        await this.serveNonResource(req, res, url);
      }
    } catch (e) {
      this.fail(res, e, req);
    } finally {
      this.metrics.inflight.dec({ kind: mutating ? 'mutating' : 'readOnly' });
      this.metrics.requests.inc({ verb, resource, code: String(res.statusCode) });
      if (verb !== 'watch' && !(verb === 'connect')) {
        this.metrics.latency.observe({ verb, resource }, Number(process.hrtime.bigint() - started) / 1e9);
      }
    }
  }

  private fail(res: ApiResponse, e: unknown, req: ApiRequest): void {
    let err: StatusError;
    if (e instanceof StatusError) {
      err = e;
    } else {
      this.o.log.error({ err: e, method: req.method, url: req.url }, 'request failed');
      err = internalError(e instanceof Error ? e.message : String(e));
    }
    if (res.headersSent) {
      res.destroy();
      return;
    }
    writeStatusError(res, err);
  }

  private async serveReview(
    req: ApiRequest,
    res: ApiResponse,
    resource: string,
    user: UserInfo,
  ): Promise<void> {
    if (req.method !== 'POST')
      throw new StatusError(405, 'MethodNotAllowed', `only create is supported on ${resource}`);
    const body = decodeObjectBody(req.headers['content-type'], await readBody(req)) as KubeObject;
    writeJson(res, 201, answerReview(resource, body ?? { metadata: {} }, user));
  }

  private async serveNonResource(req: ApiRequest, res: ApiResponse, url: URL): Promise<void> {
    const path = url.pathname.replace(/\/+$/, '') || '/';
    const accept = parseAccept(req.headers.accept);
    switch (path) {
      case '/version':
        return writeJson(res, 200, versionInfo());
      case '/healthz':
      case '/livez':
        return text(res, 200, 'ok');
      case '/readyz': {
        const healthy = await this.o.store.healthy();
        return text(
          res,
          healthy ? 200 : 503,
          healthy ? 'ok' : '[-]etcd failed: etcd does not answer\nreadyz check failed',
        );
      }
      case '/metrics': {
        const body = await register.metrics();
        writeHead(res, 200, { 'Content-Type': register.contentType });
        res.end(body);
        return;
      }
      case '/api':
        if (accept.aggregatedDiscovery) return this.aggregated(res, true, accept.aggregatedDiscovery);
        return writeJson(
          res,
          200,
          this.discovery.apiVersions(`${req.socket.localAddress ?? '127.0.0.1'}:${this.o.securePort}`),
        );
      case '/apis':
        if (accept.aggregatedDiscovery) return this.aggregated(res, false, accept.aggregatedDiscovery);
        return writeJson(res, 200, this.discovery.apiGroupList());
      case '/openapi/v2':
        return this.openapiV2.serve(req, res);
      case '/openapi/v3':
        this.openapiRoot ??= buildV3Root(this.resources);
        return writeJson(res, 200, this.openapiRoot);
      case '/':
        return writeJson(res, 200, {
          paths: [
            '/api',
            '/api/v1',
            '/apis',
            '/healthz',
            '/livez',
            '/metrics',
            '/openapi/v2',
            '/openapi/v3',
            '/readyz',
            '/version',
          ],
        });
    }
    if (path.startsWith('/openapi/v3/')) {
      const gvPath = path.slice('/openapi/v3/'.length);
      const m = /^(?:api\/(v1)|apis\/([^/]+)\/([^/]+))$/.exec(gvPath);
      if (m) {
        const group = m[1] ? '' : m[2];
        const version = m[1] ?? m[3];
        const key = `${group}/${version}`;
        if (!this.openapiGroupVersions.has(key)) {
          this.openapiGroupVersions.set(key, buildV3GroupVersion(group, version, this.resources));
        }
        const doc = this.openapiGroupVersions.get(key);
        if (doc) return writeJson(res, 200, doc);
      }
      throw notFoundPath();
    }
    const apiV1 = /^\/api\/(v1)$/.exec(path);
    const groupPath = /^\/apis\/([^/]+)$/.exec(path);
    const gvPath = /^\/apis\/([^/]+)\/([^/]+)$/.exec(path);
    const doc = apiV1
      ? this.discovery.resourceList('', 'v1')
      : groupPath
        ? this.discovery.apiGroup(groupPath[1])
        : gvPath
          ? this.discovery.resourceList(gvPath[1], gvPath[2])
          : undefined;
    if (doc) return writeJson(res, 200, doc);
    throw notFoundPath();
  }

  private aggregated(res: ApiResponse, legacy: boolean, version: 'v2' | 'v2beta1'): void {
    writeJson(
      res,
      200,
      this.discovery.aggregated(legacy, version),
      `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`,
    );
  }
}

function text(res: ApiResponse, code: number, body: string): void {
  writeHead(res, code, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
