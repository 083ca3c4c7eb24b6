import { afterEach, describe, expect, it } from 'vitest';
import {
  type HealthServer,
  parseHostPort,
  startHealthServer,
} from '../../../control-plane/scheduler/health-server.js';
import { schedulerMetrics } from '../../../control-plane/scheduler/metrics.js';

let server: HealthServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('scheduler health server', () => {
  it('serves /healthz, /readyz by the readiness callback, and the scheduler metrics', async () => {
    let ready = false;
    server = await startHealthServer('127.0.0.1', 0, () => ready);
    const get = (path: string) => fetch(`http://127.0.0.1:${server?.port}${path}`);
    schedulerMetrics().attempts.inc({ result: 'scheduled' });
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(503);
    ready = true;
    expect((await get('/readyz')).status).toBe(200);
    const metrics = await (await get('/metrics')).text();
    expect(metrics).toContain('skiff_scheduler_schedule_attempts_total{result="scheduled"}');
    expect(metrics).toContain('skiff_scheduler_e2e_scheduling_duration_seconds_bucket');
    expect((await get('/nope')).status).toBe(404);
  });

  it('parses host:port', () => {
    expect(parseHostPort('127.0.0.1:10251')).toEqual({ host: '127.0.0.1', port: 10251 });
    expect(parseHostPort('[::1]:80')).toEqual({ host: '::1', port: 80 });
    expect(parseHostPort(':80')).toEqual({ host: '0.0.0.0', port: 80 });
    expect(() => parseHostPort('nope')).toThrow(/host:port/);
  });
});
