import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Compactor } from '../../../control-plane/storage/compactor.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;
let compactor: Compactor;

beforeAll(async () => {
  etcd = await startTestEtcd();
  const log = pino({ level: 'silent' });
  store = new EtcdStore({ endpoints: [etcd.endpoint], log });
  compactor = new Compactor({ store, log, defragMinFreeBytes: 1024 * 1024, defragMinFreeRatio: 0.3 });
});
afterAll(async () => {
  compactor?.stop();
  await store?.close();
  await etcd?.stop();
});

async function metricValue(name: string): Promise<number> {
  const m = register.getSingleMetric(name);
  const data = await m?.get();
  return data?.values.reduce((s, v) => s + v.value, 0) ?? 0;
}

describe('Compactor', () => {
  it('compacts to the previous run revision, keeping one window of history', async () => {
    const p = '/registry/c1/things/';
    const a = await store.create(`${p}ns/a`, { metadata: { name: 'a' } });
    await store.guaranteedUpdate(`${p}ns/a`, (o) => ({ ...o, data: { v: '1' } }));
    expect(await compactor.compactNow()).toBeUndefined();
    const mark = await store.currentRevision();
    await store.guaranteedUpdate(`${p}ns/a`, (o) => ({ ...o, data: { v: '2' } }));
    expect(await compactor.compactNow()).toBe(mark);
    // History after the mark is still readable; before it is gone.
    const atMark = await store.list(p, { resourceVersion: mark, resourceVersionMatch: 'Exact' });
    expect(atMark.items).toHaveLength(1);
    const before = await store
      .list(p, { resourceVersion: a.metadata.resourceVersion, resourceVersionMatch: 'Exact' })
      .catch((e: unknown) => e);
    expect((before as { code?: string }).code).toBe('Expired');
    expect(await metricValue('skiff_etcd_compactions_total')).toBeGreaterThanOrEqual(1);
  });

  it('shrinks the db size in use by compaction and the file by defragmentation', async () => {
    const p = '/registry/c2/things/';
    const blob = 'x'.repeat(20_000);
    for (let round = 0; round < 3; round++) {
      await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          round === 0
            ? store.create(`${p}ns/o${i}`, {
                metadata: { name: `o${i}` },
                data: { blob, round: String(round) },
              })
            : store.guaranteedUpdate(`${p}ns/o${i}`, (o) => ({ ...o, data: { blob, round: String(round) } })),
        ),
      );
    }
    await Promise.all(Array.from({ length: 200 }, (_, i) => store.delete(`${p}ns/o${i}`)));
    const [grown] = await compactor.dbSizes();
    await compactor.compactNow();
    await compactor.compactNow();
    // bbolt frees the compacted pages only once later write transactions no longer need them:
    // keep writing a little until etcd reports them free.
    let compacted = (await compactor.dbSizes())[0];
    for (let i = 0; i < 50 && (compacted?.dbSizeInUse ?? 0) >= (grown?.dbSizeInUse ?? 0) / 2; i++) {
      await store.client.put('/tick').value(String(i));
      await new Promise((r) => setTimeout(r, 150));
      compacted = (await compactor.dbSizes())[0];
    }
    expect(compacted?.dbSizeInUse).toBeLessThan((grown?.dbSizeInUse ?? 0) / 2);
    expect(await compactor.maybeDefrag()).toBe(true);
    const [defragged] = await compactor.dbSizes();
    expect(defragged?.dbSize).toBeLessThan((grown?.dbSize ?? 0) / 2);
    expect(await metricValue('skiff_etcd_defrags_total')).toBe(1);
    expect(await metricValue('skiff_etcd_db_size_bytes')).toBe(defragged?.dbSize);
    // Nothing left to reclaim: no second defragmentation.
    expect(await compactor.maybeDefrag()).toBe(false);
  });
});

describe('Compactor with two servers on one etcd', () => {
  it('lets only one of them compact per round', async () => {
    const log = pino({ level: 'silent' });
    const a = new Compactor({ store, log });
    const b = new Compactor({ store, log });
    try {
      const results: Array<string | undefined> = [];
      for (let round = 0; round < 4; round++) {
        await store.client.put('/registry/c3/x').value(String(round));
        results.push(await a.compactNow(), await b.compactNow());
      }
      // The first round only syncs both clocks to etcd's; after that exactly one compacts per round.
      expect(results.slice(0, 2)).toEqual([undefined, undefined]);
      for (let round = 1; round < 4; round++) {
        const pair = results.slice(round * 2, round * 2 + 2);
        expect(pair.filter((r) => r !== undefined)).toHaveLength(1);
      }
    } finally {
      a.stop();
      b.stop();
    }
  });
});
