import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { register } from 'prom-client';
import { http } from '../api/node-http.js';
import type { Clock } from '../client/clock.js';

const { createServer } = http;

/** What the health endpoint needs to know about the proxier. */
export interface SyncHealth {
  /** When rules were last applied (ms since epoch); undefined before the first sync. */
  readonly lastSyncTime: number | undefined;
  /** Since when a requested change waits to be applied; undefined when none is waiting. */
  readonly pendingSince: number | undefined;
}

export interface HealthVerdict {
  healthy: boolean;
  lastUpdated?: string;
  reason?: string;
}

/** Healthy once rules have been applied and no change has waited longer than `staleAfterMs`. */
export function healthOf(h: SyncHealth, now: number, staleAfterMs: number): HealthVerdict {
  const lastUpdated = h.lastSyncTime !== undefined ? new Date(h.lastSyncTime).toISOString() : undefined;
  if (h.lastSyncTime === undefined) return { healthy: false, reason: 'rules not applied yet' };
  if (h.pendingSince !== undefined && now - h.pendingSince > staleAfterMs)
    return {
      healthy: false,
      lastUpdated,
      reason: `changes waiting for ${Math.round((now - h.pendingSince) / 1000)}s`,
    };
  return { healthy: true, lastUpdated };
}

/** Parses `host:port` (IPv4 or `[v6]`). */
export function parseBindAddress(value: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(value);
  const port = m ? Number(m[3]) : Number.NaN;
  if (!m || port < 0 || port > 65_535) throw new Error(`"${value}" is not host:port`);
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port };
}

/**
 * Serves `/healthz` (200 or 503 with a small JSON body, as kube-proxy) and `/metrics`
 * (prom-client's default registry) on one listener. Resolves once listening.
 */
export async function startHealthServer(opts: {
  bind: string;
  health: SyncHealth;
  clock: Clock;
  staleAfterMs: number;
  log: Logger;
}): Promise<Server> {
  const { host, port } = parseBindAddress(opts.bind);
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      const v = healthOf(opts.health, opts.clock.now(), opts.staleAfterMs);
      res.writeHead(v.healthy ? 200 : 503, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
      return;
    }
    if (path === '/metrics') {
      register.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': register.contentType });
          res.end(text);
        },
        (e: unknown) => {
          opts.log.error({ err: e }, 'rendering metrics failed');
          res.writeHead(500).end();
        },
      );
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
