import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import { hostname } from 'node:os';
import type { Duplex } from 'node:stream';
import type { TLSSocket } from 'node:tls';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { register } from 'prom-client';
import { badRequest, StatusError, unauthorized } from '../../api/errors.js';
import type { CriClient } from '../../shim/index.js';
import { parseContainerLogQuery, serveContainerLogs } from './container-logs.js';
import { refuseUpgrade, statusOfCriError } from './cri-stream-errors.js';
import { kubeletServingCertificate } from './kubelet-certificate.js';
import { type PodRef, RuntimeTargets } from './runtime-targets.js';
import { requestsTotal, streamsTotal } from './server-metrics.js';
import { readServingCertificate, selfSignedServingCertificate } from './serving-certificate.js';
import { SPDY_TUNNEL_PROTOCOL, V5_PROTOCOL } from './stream-protocols.js';
import { replayUpgrade } from './upgrade-replay.js';

export const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletServerOptions {
  cri: CriClient;
  log: Logger;
  /** The pods this kubelet runs (served on /pods, and used to tell pods of the same name apart). */
  pods: () => Pod[];
  nodeName: string;
  /** Default 0.0.0.0. */
  address?: string;
  /** Default 10250; 0 picks a free port. */
  port?: number;
  /** PEM serving certificate and key (`--tls-cert-file`, `--tls-private-key-file`); both or neither. */
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  /** Names and addresses (e.g. the node IP) the self-signed certificate covers besides the defaults. */
  certNames?: string[];
  /** Without a certificate file: where the self-signed one is kept across restarts (kubelet.crt/.key). */
  certDir?: string;
  /**
   * CA whose client certificates are required (`--client-ca-file`); the API server presents one
   * signed by the cluster CA. Without a CA no client certificate is asked for.
   */
  clientCaFile?: string;
  /** The same CA as PEM text (e.g. from the kubeconfig's certificate-authority-data). */
  clientCaPem?: string;
  now?: () => number;
}

export interface KubeletServer {
  address: string;
  port: number;
  close(): Promise<void>;
}

type StreamKind = 'exec' | 'attach' | 'portForward';

interface Route {
  endpoint: string;
  ref?: PodRef;
  container?: string;
}

/** Splits a kubelet API path; undefined for paths this server does not have. */
export function routeOf(pathname: string): Route | undefined {
  let parts: string[];
  try {
    parts = pathname.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
  const [first, ...rest] = parts;
  switch (first) {
    case 'healthz':
    case 'metrics':
    case 'pods':
      return rest.length === 0 || (rest.length === 1 && rest[0] === '') ? { endpoint: first } : undefined;
    case 'containerLogs':
      if (rest.length !== 3) return undefined;
      return { endpoint: first, ref: { namespace: rest[0], name: rest[1] }, container: rest[2] };
    case 'exec':
    case 'attach':
      if (rest.length === 3)
        return { endpoint: first, ref: { namespace: rest[0], name: rest[1] }, container: rest[2] };
      if (rest.length === 4)
        return {
          endpoint: first,
          ref: { namespace: rest[0], name: rest[1], uid: rest[2] },
          container: rest[3],
        };
      return undefined;
    case 'portForward':
      if (rest.length === 2) return { endpoint: first, ref: { namespace: rest[0], name: rest[1] } };
      if (rest.length === 3)
        return { endpoint: first, ref: { namespace: rest[0], name: rest[1], uid: rest[2] } };
      return undefined;
    default:
      return undefined;
  }
}

// The WebSocket and SPDY libraries load on the first stream, not with every kubelet.
const streamClient = () => import('./cri-stream-client.js');

const truthy = (v: string | null) => v === 'true' || v === '1';
const notFoundPath = (path: string) => new StatusError(404, 'NotFound', `the server could not find ${path}`);

/**
 * The kubelet's HTTPS API (upstream's port 10250): /healthz, /metrics, /pods, /containerLogs, and
 * /exec, /attach, /portForward relayed to the container runtime's streaming server.
 */
export async function startKubeletServer(o: KubeletServerOptions): Promise<KubeletServer> {
  const log = o.log.child({ component: 'kubelet-server' });
  const now = o.now ?? Date.now;
  if ((o.tlsCertFile === undefined) !== (o.tlsPrivateKeyFile === undefined))
    throw new Error('tlsCertFile and tlsPrivateKeyFile go together');
  const selfSigned = {
    commonName: `${o.nodeName}@${Math.floor(now() / 1000)}`,
    names: ['localhost', '127.0.0.1', hostname(), o.nodeName, ...(o.certNames ?? [])],
  };
  const serving =
    o.tlsCertFile && o.tlsPrivateKeyFile
      ? await readServingCertificate(o.tlsCertFile, o.tlsPrivateKeyFile)
      : o.certDir
        ? await kubeletServingCertificate({ ...selfSigned, certDir: o.certDir, log, now: new Date(now()) })
        : await selfSignedServingCertificate(selfSigned);
  const clientCa = o.clientCaPem ?? (o.clientCaFile ? await readFile(o.clientCaFile, 'utf8') : undefined);
  const targets = new RuntimeTargets(o.cri, o.pods);

  const server = createServer({
    cert: serving.certPem,
    key: serving.keyPem,
    ca: clientCa,
    requestCert: clientCa !== undefined,
    // Unauthenticated clients get a 401 Status (not a failed handshake); /healthz stays open.
    rejectUnauthorized: false,
  });
  const sockets = new Set<Duplex>();
  server.on('secureConnection', (s: TLSSocket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  const authenticated = (req: IncomingMessage) =>
    clientCa === undefined || (req.socket as TLSSocket).authorized === true;

  const sendError = (res: ServerResponse, route: string, e: unknown) => {
    const err = statusOfCriError(e);
    if (err.code >= 500) log.warn({ err: e, endpoint: route }, 'kubelet request failed');
    requestsTotal.inc({ endpoint: route, code: err.code });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(err.code, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(err.toStatus()));
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = routeOf(url.pathname);
    const endpoint = route?.endpoint ?? 'other';
    try {
      if (!route) throw notFoundPath(url.pathname);
      if (endpoint !== 'healthz' && !authenticated(req)) throw unauthorized();
      switch (endpoint) {
        case 'healthz':
          res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok');
          break;
        case 'metrics': {
          const text = await register.metrics();
          res.writeHead(200, { 'Content-Type': register.contentType }).end(text);
          break;
        }
        case 'pods':
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify({ kind: 'PodList', apiVersion: 'v1', metadata: {}, items: o.pods() }));
          break;
        case 'containerLogs':
          await serveContainerLogs({
            cri: o.cri,
            targets,
            ref: route.ref as PodRef,
            container: route.container ?? '',
            query: parseContainerLogQuery(url.searchParams, now()),
            res,
          });
          break;
        default:
          throw badRequest('Upgrade request required');
      }
      requestsTotal.inc({ endpoint, code: res.statusCode });
    } catch (e) {
      sendError(res, endpoint, e);
    }
  };

  const handleUpgrade = async (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'https://kubelet');
    const route = routeOf(url.pathname);
    const endpoint = route?.endpoint ?? 'other';
    const fail = (e: unknown) => {
      const err = statusOfCriError(e);
      if (err.code >= 500) log.warn({ err: e, endpoint }, 'kubelet stream failed');
      requestsTotal.inc({ endpoint, code: err.code });
      refuseUpgrade(socket, err);
    };
    if (!route || !['exec', 'attach', 'portForward'].includes(endpoint))
      return fail(notFoundPath(url.pathname));
    if (!authenticated(req)) return fail(unauthorized());
    const kind = endpoint as StreamKind;
    const q = url.searchParams;
    const kinds = {
      stdin: truthy(q.get('stdin') ?? q.get('input')),
      stdout: truthy(q.get('stdout') ?? q.get('output')),
      stderr: truthy(q.get('stderr') ?? q.get('error')),
      tty: truthy(q.get('tty')),
    };
    let criUrl: string;
    try {
      criUrl = await streamingUrl(kind, route, q, kinds);
    } catch (e) {
      return fail(e);
    }
    const websocket = req.headers.upgrade?.toLowerCase() === 'websocket';
    const offered = new Set(
      (req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim())
        .filter(Boolean),
    );
    const started = Date.now();
    const slog = log.child({
      kind,
      pod: `${route.ref?.namespace}/${route.ref?.name}`,
      container: route.container,
    });
    try {
      if (websocket && kind !== 'portForward' && offered.has(V5_PROTOCOL)) {
        // The runtime refuses v5. v4 over WebSocket cannot close stdin alone, SPDY can: with stdin
        // (where the end of the client's input must reach the process) SPDY is used.
        const { connectSpdyV4, connectWebSocketV4 } = await streamClient();
        const { bridgeV5 } = await import('./remote-command-bridge.js');
        const session = kinds.stdin ? await connectSpdyV4(criUrl, kinds) : await connectWebSocketV4(criUrl);
        requestsTotal.inc({ endpoint, code: 101 });
        streamsTotal.inc({ kind, protocol: 'websocket-v5' });
        await bridgeV5(req, socket, head, session, slog);
      } else if (websocket && kind === 'portForward' && offered.has(SPDY_TUNNEL_PROTOCOL)) {
        const { spdyUpgrade } = await streamClient();
        const { tunnelPortForward } = await import('./port-forward-tunnel.js');
        const runtime = await spdyUpgrade(criUrl, 'portforward.k8s.io');
        requestsTotal.inc({ endpoint, code: 101 });
        streamsTotal.inc({ kind, protocol: 'spdy-tunnel' });
        await tunnelPortForward(req, socket, head, runtime);
      } else {
        requestsTotal.inc({ endpoint, code: 101 });
        streamsTotal.inc({ kind, protocol: 'replay' });
        await replayUpgrade(req, socket, head, criUrl);
      }
      slog.debug({ ms: Date.now() - started }, 'stream ended');
    } catch (e) {
      fail(e);
    }
  };

  const streamingUrl = async (
    kind: StreamKind,
    route: Route,
    q: URLSearchParams,
    kinds: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean },
  ): Promise<string> => {
    const ref = route.ref as PodRef;
    if (kind === 'portForward') {
      const sandbox = await targets.readySandbox(ref);
      const ports = q
        .getAll('port')
        .flatMap((p) => p.split(','))
        .filter(Boolean)
        .map(Number);
      if (ports.some((p) => !Number.isInteger(p) || p < 1 || p > 65535))
        throw badRequest(`invalid port in ${q.getAll('port').join(',')}`);
      return o.cri.runtime.portForward({ podSandboxId: sandbox.id, port: ports });
    }
    if (!kinds.stdin && !kinds.stdout && !kinds.stderr)
      throw badRequest('you must specify at least one of stdin, stdout, stderr');
    if (kinds.tty && kinds.stderr) throw badRequest('stderr cannot be used with tty');
    const container = await targets.runningContainer(ref, route.container ?? '');
    if (kind === 'attach') return o.cri.runtime.attach({ containerId: container.id, ...kinds });
    const cmd = q.getAll('command');
    if (cmd.length === 0) throw badRequest('you must specify at least one command for the container');
    return o.cri.runtime.exec({ containerId: container.id, cmd, ...kinds });
  };

  server.on('request', (req, res) => {
    handle(req, res).catch((e) => {
      log.warn({ err: e }, 'kubelet request failed');
      res.destroy();
    });
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    handleUpgrade(req, socket, head).catch((e) => {
      log.warn({ err: e }, 'kubelet stream failed');
      socket.destroy();
    });
  });

  const address = o.address ?? '0.0.0.0';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? DEFAULT_KUBELET_PORT, address, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as { port: number }).port;
  log.info({ address, port, clientAuth: clientCa !== undefined }, 'kubelet server listening');
  return {
    address,
    port,
    close: async () => {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}
