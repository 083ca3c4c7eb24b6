import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], log: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

const thing = (name: string, data: Record<string, string> = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: 'ns', uid: `uid-${name}` },
  data,
});

describe('guaranteedUpdate from a warm watch cache', () => {
  it('keeps the etcd lease of the key it updates', async () => {
    const key = '/registry/cached/leased/ns/a';
    await store.create(key, thing('a'), { leaseSeconds: 120 });
    await store.warmCache('/registry/cached/leased/');
    await store.guaranteedUpdate(key, (o) => ({ ...o, data: { v: '2' } }));
    const kv = (await store.client.getAll().prefix(key).exec()).kvs[0];
    expect(kv.lease).not.toBe('0');
    expect(JSON.parse(kv.value.toString()).data).toEqual({ v: '2' });
  });

  it('applies to the latest state when the cache lags a write made behind its back', async () => {
    const key = '/registry/cached/lagging/ns/b';
    const created = await store.create(key, thing('b', { n: '0' }));
    await store.warmCache('/registry/cached/lagging/');
    for (let i = 1; i <= 20; i++) {
      // A raw write the cache has not seen yet, then an update that must build on it.
      const raw = await store.client
        .put(key)
        .value(JSON.stringify({ ...thing('b', { n: String(i * 10) }) }))
        .exec();
      const rv = String(raw.header.revision);
      const updated = await store.guaranteedUpdate(
        key,
        (o) => ({ ...o, data: { n: String(Number((o.data as { n: string }).n) + 1) } }),
        { preconditions: { resourceVersion: rv, uid: created.metadata.uid } },
      );
      expect((updated.data as { n: string }).n).toBe(String(i * 10 + 1));
    }
  });

  it('does not report a no-op from a stale cached copy', async () => {
    const key = '/registry/cached/noop/ns/c';
    await store.create(key, thing('c', { v: 'old' }));
    await store.warmCache('/registry/cached/noop/');
    await store.client
      .put(key)
      .value(JSON.stringify(thing('c', { v: 'new' })))
      .exec();
    // Setting v=old is a no-op against the stale cache but a change against etcd.
    const result = await store.guaranteedUpdate(key, (o) => ({ ...o, data: { v: 'old' } }));
    expect(result.data).toEqual({ v: 'old' });
    const kv = (await store.client.getAll().prefix(key).exec()).kvs[0];
    expect(JSON.parse(kv.value.toString()).data).toEqual({ v: 'old' });
  });
});
