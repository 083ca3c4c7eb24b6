import type { OutgoingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { badRequest, StatusError } from '../../../api/errors.js';
import { type ApiRequest, type ApiResponse, writeHead } from '../http-exchange.js';
import type { ResourceStore } from '../registry/resource-store.js';
import type { ResourceRequestInfo } from '../request-info.js';

const DEFAULT_KUBELET_PORT = 10250;

export interface KubeletClientTls {
  certPem: string;
  keyPem: string;
  /** CA to verify kubelets' serving certificates; without it they are not verified (upstream default). */
  caPem?: string;
}

/**
 * Proxies pods/log, exec, attach, portforward and nodes/proxy to the kubelet's HTTPS port,
 * including HTTP upgrades (WebSocket, SPDY) for the streaming ones.
 */
export class KubeletProxy {
  constructor(
    private readonly nodes: () => ResourceStore,
    private readonly tls: KubeletClientTls,
  ) {}

  async serve(
    req: ApiRequest,
    res: ApiResponse,
    info: ResourceRequestInfo,
    store: ResourceStore,
  ): Promise<void> {
    const target = await this.target(req, info, store);
    const upgrade = req.headers.upgrade;
    const headers: OutgoingHttpHeaders = { host: `${target.host}:${target.port}` };
    for (const [name, value] of Object.entries(req.headers)) {
      // HTTP/2 pseudo-headers (:method, :path, ...) are not HTTP/1.1 header fields.
      if (name.startsWith(':') || name === 'host' || name === 'authorization') continue;
      headers[name] = value;
    }
    const proxied = httpsRequest({
      host: target.host,
      port: target.port,
      method: req.method,
      path: target.path,
      headers,
      cert: this.tls.certPem,
      key: this.tls.keyPem,
      ca: this.tls.caPem,
      rejectUnauthorized: this.tls.caPem !== undefined,
    });
    await new Promise<void>((resolve) => {
      proxied.on('response', (upstream) => {
        writeHead(res, upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
        upstream.on('end', resolve);
        res.on('close', () => {
          upstream.destroy();
          resolve();
        });
      });
      proxied.on('upgrade', (upstream, upstreamSocket, head) => {
        const clientSocket = req.socket as Duplex;
        const lines = [
          `HTTP/1.1 ${upstream.statusCode ?? 101} ${upstream.statusMessage ?? 'Switching Protocols'}`,
        ];
        for (let i = 0; i < upstream.rawHeaders.length; i += 2)
          lines.push(`${upstream.rawHeaders[i]}: ${upstream.rawHeaders[i + 1]}`);
        clientSocket.write(`${lines.join('\r\n')}\r\n\r\n`);
        if (head.length) clientSocket.write(head);
        upstreamSocket.pipe(clientSocket);
        clientSocket.pipe(upstreamSocket);
        const done = () => {
          upstreamSocket.destroy();
          clientSocket.destroy();
          resolve();
        };
        upstreamSocket.on('close', done).on('error', done);
        clientSocket.on('close', done).on('error', done);
      });
      proxied.on('error', (e) => {
        if (!res.headersSent && !upgrade) {
          const err = new StatusError(
            502,
            'InternalError',
            `error dialing kubelet on node ${target.node}: ${e.message}`,
          );
          writeHead(res, 502, { 'Content-Type': 'application/json' });
          res.end(JSON.stringify(err.toStatus()));
        } else {
          (req.socket as Duplex).destroy();
        }
        resolve();
      });
      req.pipe(proxied);
    });
  }

  private async target(
    req: ApiRequest,
    info: ResourceRequestInfo,
    store: ResourceStore,
  ): Promise<{ host: string; port: number; path: string; node: string }> {
    const url = new URL(req.url ?? '/', 'https://localhost');
    if (info.resource === 'nodes') {
      const { host, port } = await this.kubeletAddress(info.name);
      const rest = info.rest.map(encodeURIComponent).join('/');
      return { host, port, node: info.name, path: `/${rest}${url.search}` };
    }
    const pod = (await store.get(info.namespace, info.name)) as unknown as Pod;
    const nodeName = pod.spec?.nodeName;
    if (!nodeName) throw badRequest(`pod ${info.name} does not have a host assigned`);
    const { host, port } = await this.kubeletAddress(nodeName);
    const q = url.searchParams;
    const container = q.get('container') ?? pod.spec?.containers?.[0]?.name ?? '';
    if (
      info.subresource !== 'portforward' &&
      !pod.spec?.containers?.some((c) => c.name === container) &&
      !pod.spec?.initContainers?.some((c) => c.name === container)
    ) {
      throw badRequest(`container ${container} is not valid for pod ${info.name}`);
    }
    const ns = encodeURIComponent(info.namespace);
    const name = encodeURIComponent(info.name);
    const c = encodeURIComponent(container);
    const query = new URLSearchParams(q);
    query.delete('container');
    const qs = query.toString() ? `?${query}` : '';
    switch (info.subresource) {
      case 'log':
        return { host, port, node: nodeName, path: `/containerLogs/${ns}/${name}/${c}${qs}` };
      case 'exec':
        return { host, port, node: nodeName, path: `/exec/${ns}/${name}/${c}${qs}` };
      case 'attach':
        return { host, port, node: nodeName, path: `/attach/${ns}/${name}/${c}${qs}` };
      case 'portforward':
        return { host, port, node: nodeName, path: `/portForward/${ns}/${name}${url.search}` };
      default:
        throw badRequest(`subresource ${info.subresource} cannot be proxied`);
    }
  }

  private async kubeletAddress(nodeName: string): Promise<{ host: string; port: number }> {
    const node = (await this.nodes().get('', nodeName)) as unknown as Node;
    const addresses = node.status?.addresses ?? [];
    const pick = (type: string) => addresses.find((a) => a.type === type)?.address;
    const host = pick('InternalIP') ?? pick('ExternalIP') ?? pick('Hostname');
    if (!host)
      throw new StatusError(
        503,
        'ServiceUnavailable',
        `node ${nodeName} has no address to reach its kubelet`,
      );
    const port = node.status?.daemonEndpoints?.kubeletEndpoint?.Port || DEFAULT_KUBELET_PORT;
    return { host, port };
  }
}
