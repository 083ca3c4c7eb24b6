import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { http } from '../api/node-http.js';
import { localEndpoints, type ProxyState } from './service-port-map.js';

const { createServer } = http;

/** What one healthCheckNodePort reports. */
export interface ServiceHealth {
  namespace: string;
  name: string;
  localEndpoints: number;
}

/** healthCheckNodePort → service and its local endpoint count, for externalTrafficPolicy Local. */
export function serviceHealthOf(state: ProxyState, nodeName: string): Map<number, ServiceHealth> {
  const out = new Map<number, ServiceHealth>();
  for (const svc of state.services) {
    if (!svc.externalPolicyLocal || svc.healthCheckNodePort === undefined) continue;
    const prev = out.get(svc.healthCheckNodePort);
    const n = localEndpoints(svc.endpoints, nodeName).length;
    // Ports of one service share the health port: healthy if any port has a local endpoint.
    if (prev) prev.localEndpoints = Math.max(prev.localEndpoints, n);
    else out.set(svc.healthCheckNodePort, { namespace: svc.namespace, name: svc.name, localEndpoints: n });
  }
  return out;
}

/**
 * Answers each healthCheckNodePort over HTTP, as kube-proxy does, so that load balancers send
 * traffic only to nodes with local endpoints: 200 with a count when there are some, 503 when
 * none. Listeners follow `update()`; ports that could not be bound are retried on the next one.
 */
export class ServiceHealthServer {
  private readonly servers = new Map<number, Server>();
  private health = new Map<number, ServiceHealth>();

  constructor(
    private readonly log: Logger,
    private readonly host = '0.0.0.0',
  ) {}

  async update(health: Map<number, ServiceHealth>): Promise<void> {
    this.health = health;
    for (const [port, server] of this.servers) {
      if (health.has(port)) continue;
      this.servers.delete(port);
      await new Promise((r) => server.close(r));
    }
    for (const port of health.keys()) {
      if (this.servers.has(port)) continue;
      try {
        this.servers.set(port, await this.listen(port));
      } catch (e) {
        this.log.warn({ err: e, port }, 'cannot serve healthCheckNodePort');
      }
    }
  }

  ports(): number[] {
    return [...this.servers.keys()];
  }

  async close(): Promise<void> {
    await this.update(new Map());
  }

  private listen(port: number): Promise<Server> {
    const server = createServer((_req, res) => {
      const h = this.health.get(port);
      const body = {
        service: { namespace: h?.namespace ?? '', name: h?.name ?? '' },
        localEndpoints: h?.localEndpoints ?? 0,
        serviceProxyHealthy: true,
      };
      res.writeHead(body.localEndpoints > 0 ? 200 : 503, {
        'content-type': 'application/json',
        'x-content-type-options': 'nosniff',
      });
      res.end(JSON.stringify(body));
    });
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.host, () => {
        server.off('error', reject);
        resolve(server);
      });
    });
  }
}
