import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { isStorageError, type StoreEvent } from '../../../control-plane/storage/store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({
    endpoints: [etcd.endpoint],
    log: pino({ level: 'silent' }),
    requestTimeoutMs: 2_000,
  });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 200));
  }
  return false;
}

describe('EtcdStore when etcd goes away', () => {
  it('answers Unavailable quickly, reports unhealthy, and recovers (watches too) without a new store', async () => {
    const p = '/registry/outage/things/';
    await store.create(`${p}ns/before`, { metadata: { name: 'before', namespace: 'ns' } });
    const w = store.watch(p, {});
    const events: StoreEvent[] = [];
    let watchEnded = false;
    void (async () => {
      for await (const e of w.events) events.push(e);
      watchEnded = true;
    })().catch(() => {
      watchEnded = true;
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await store.healthy()).toBe(true);

    await etcd.kill();
    const t0 = Date.now();
    const err = await store
      .create(`${p}ns/during`, { metadata: { name: 'during', namespace: 'ns' } })
      .catch((e: unknown) => e);
    expect(isStorageError(err, 'Unavailable'), String(err)).toBe(true);
    const getErr = await store.get(`${p}ns/before`).catch((e: unknown) => e);
    expect(isStorageError(getErr, 'Unavailable'), String(getErr)).toBe(true);
    expect(Date.now() - t0).toBeLessThan(6_000);
    const t1 = Date.now();
    expect(await store.healthy()).toBe(false);
    expect(Date.now() - t1).toBeLessThan(3_000);

    await etcd.restart();
    expect(await until(() => store.healthy(), 20_000)).toBe(true);
    expect(
      await until(async () => {
        try {
          await store.create(`${p}ns/after`, { metadata: { name: 'after', namespace: 'ns' } });
          return true;
        } catch {
          return false;
        }
      }, 20_000),
    ).toBe(true);
    expect((await store.get(`${p}ns/before`)).metadata.name).toBe('before');
    // The cache's etcd watch resumed where it left off: the write after recovery reaches the watcher.
    expect(
      await until(
        async () => events.some((e) => e.type === 'ADDED' && e.object.metadata.name === 'after'),
        15_000,
      ),
    ).toBe(true);
    expect(watchEnded).toBe(false);
    w.stop();
  });
});
