import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestEtcd } from '../support/etcd.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

let etcd: Awaited<ReturnType<typeof startTestEtcd>>;
let server: TestServer;

beforeAll(async () => {
  etcd = await startTestEtcd();
  server = await startSkiffServer(['--etcd-servers', etcd.endpoint]);
});
afterAll(async () => {
  await server?.stop();
  await etcd?.stop();
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

describe('skiff server on an external etcd that goes away and comes back', () => {
  it('serves, answers 503 and /readyz false while etcd is down, and recovers without a restart', async () => {
    const created = await server.fetch('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'before' },
      data: { a: '1' },
    });
    expect(created.status).toBe(201);
    expect((await server.fetch('GET', '/readyz')).status).toBe(200);

    await etcd.kill();
    expect(await until(async () => (await server.fetch('GET', '/readyz')).status === 503, 15_000)).toBe(true);
    const t0 = Date.now();
    const during = await server.fetch('POST', '/api/v1/namespaces/default/configmaps', {
      metadata: { name: 'during' },
    });
    expect(during.status).toBe(503);
    expect(during.json()).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable', code: 503 });
    expect(Date.now() - t0).toBeLessThan(10_000);

    await etcd.restart();
    expect(await until(async () => (await server.fetch('GET', '/readyz')).status === 200, 30_000)).toBe(true);
    const after = await server.fetch('GET', '/api/v1/namespaces/default/configmaps/before');
    expect(after.status).toBe(200);
    expect(after.json().data).toEqual({ a: '1' });
    expect((await server.fetch('GET', '/api/v1/namespaces/default/configmaps/during')).status).toBe(404);
    expect(server.process.exitCode).toBeNull();
  });
});
