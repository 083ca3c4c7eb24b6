import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../client/clock.js';
import { healthOf, parseBindAddress, startHealthServer } from '../../../proxy/health-server.js';
import { proxyMetrics } from '../../../proxy/metrics.js';

describe('healthOf', () => {
  it('is unhealthy before the first sync', () => {
    expect(healthOf({ lastSyncTime: undefined, pendingSince: 0 }, 10, 60_000).healthy).toBe(false);
  });

  it('is healthy while changes are applied in time, and stale when one waits too long', () => {
    expect(healthOf({ lastSyncTime: 1000, pendingSince: undefined }, 500_000, 60_000).healthy).toBe(true);
    expect(healthOf({ lastSyncTime: 1000, pendingSince: 2000 }, 30_000, 60_000).healthy).toBe(true);
    const stale = healthOf({ lastSyncTime: 1000, pendingSince: 2000 }, 70_000, 60_000);
    expect(stale).toMatchObject({ healthy: false, reason: 'changes waiting for 68s' });
  });
});

describe('parseBindAddress', () => {
  it('reads host:port', () => {
    expect(parseBindAddress('0.0.0.0:10256')).toEqual({ host: '0.0.0.0', port: 10256 });
    expect(parseBindAddress('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(() => parseBindAddress('10256')).toThrow(/host:port/);
  });
});

describe('startHealthServer', () => {
  it('serves /healthz and /metrics', async () => {
    proxyMetrics();
    const health = { lastSyncTime: undefined as number | undefined, pendingSince: undefined };
    const server = await startHealthServer({
      bind: '127.0.0.1:0',
      health,
      clock: new FakeClock(),
      staleAfterMs: 60_000,
      log: pino({ level: 'silent' }),
    });
    try {
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(503);
      health.lastSyncTime = 1;
      const ok = await fetch(`${base}/healthz`);
      expect(ok.status).toBe(200);
      expect(await ok.json()).toMatchObject({ healthy: true });
      expect(await (await fetch(`${base}/metrics`)).text()).toContain('skiff_proxy_sync_duration_seconds');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});
