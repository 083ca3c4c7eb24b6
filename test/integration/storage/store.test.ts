import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SkiffError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { isStorageError, type StorageErrorCode } from '../../../control-plane/storage/store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;
let seq = 0;

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], log: pino({ level: 'silent' }) });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

/** A fresh resource prefix per test. */
function prefix(): string {
  return `/registry/t${++seq}/things/`;
}

function obj(name: string, extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: 'ns', uid: `uid-${name}` },
    ...extra,
  };
}

async function expectCode(p: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isStorageError(err, code), `expected StorageError ${code}, got ${String(err)}`).toBe(true);
}

describe('EtcdStore against etcd', () => {
  it('creates once, sets resourceVersion from the revision, and refuses a second create', async () => {
    const key = `${prefix()}ns/a`;
    const created = await store.create(key, {
      ...obj('a'),
      metadata: { ...obj('a').metadata, resourceVersion: '999' },
    });
    expect(created.metadata.resourceVersion).toBe(await store.currentRevision());
    const raw = await store.client.get(key).string();
    expect(JSON.parse(raw ?? '{}').metadata.resourceVersion).toBeUndefined();
    await expectCode(store.create(key, obj('a')), 'KeyExists');
    const got = await store.get(key);
    expect(got).toEqual(created);
  });

  it('answers KeyNotFound for a missing key', async () => {
    await expectCode(store.get(`${prefix()}ns/missing`), 'KeyNotFound');
    await expectCode(store.delete(`${prefix()}ns/missing`), 'KeyNotFound');
    await expectCode(
      store.guaranteedUpdate(`${prefix()}ns/missing`, (o) => o),
      'KeyNotFound',
    );
  });

  it('applies every concurrent guaranteedUpdate exactly once', async () => {
    const key = `${prefix()}ns/counter`;
    await store.create(key, obj('counter', { data: { n: 0 } }));
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.guaranteedUpdate(key, (cur) => {
          const data = cur.data as { n: number };
          return { ...cur, data: { n: data.n + 1 } };
        }),
      ),
    );
    const final = await store.get(key);
    expect((final.data as { n: number }).n).toBe(20);
  });

  it('does not write when the update returns an equal object', async () => {
    const key = `${prefix()}ns/same`;
    const created = await store.create(key, obj('same', { data: { x: '1' } }));
    const after = await store.guaranteedUpdate(key, (cur) => ({ ...cur, data: { x: '1' } }));
    expect(after.metadata.resourceVersion).toBe(created.metadata.resourceVersion);
    const changed = await store.guaranteedUpdate(key, (cur) => ({ ...cur, data: { x: '2' } }));
    expect(Number(changed.metadata.resourceVersion)).toBeGreaterThan(
      Number(created.metadata.resourceVersion),
    );
  });

  it('fails guaranteedUpdate with Conflict when uid or resourceVersion preconditions do not hold', async () => {
    const key = `${prefix()}ns/pre`;
    const created = await store.create(key, obj('pre'));
    await expectCode(
      store.guaranteedUpdate(key, (o) => ({ ...o, data: { a: 'b' } }), { preconditions: { uid: 'other' } }),
      'Conflict',
    );
    await expectCode(
      store.guaranteedUpdate(key, (o) => ({ ...o, data: { a: 'b' } }), {
        preconditions: { resourceVersion: '1' },
      }),
      'Conflict',
    );
    const ok = await store.guaranteedUpdate(key, (o) => ({ ...o, data: { a: 'b' } }), {
      preconditions: { uid: 'uid-pre', resourceVersion: created.metadata.resourceVersion },
    });
    expect(ok.data).toEqual({ a: 'b' });
  });

  it('deletes only when preconditions hold and returns the last state', async () => {
    const key = `${prefix()}ns/del`;
    const created = await store.create(key, obj('del'));
    await expectCode(store.delete(key, { preconditions: { uid: 'nope' } }), 'Conflict');
    await expectCode(store.delete(key, { preconditions: { resourceVersion: '1' } }), 'Conflict');
    const last = await store.delete(key, {
      preconditions: { uid: 'uid-del', resourceVersion: created.metadata.resourceVersion },
    });
    expect(last).toEqual(created);
    await expectCode(store.get(key), 'KeyNotFound');
  });

  it('pages with limit and continue over one snapshot even when writes happen between pages', async () => {
    const p = prefix();
    for (let i = 0; i < 10; i++)
      await store.create(`${p}ns/item-${i}`, obj(`item-${i}`, { data: { v: '0' } }));
    const first = await store.list(p, { limit: 4 });
    expect(first.items.map((o) => o.metadata.name)).toEqual(['item-0', 'item-1', 'item-2', 'item-3']);
    expect(first.continue).toBeTruthy();
    expect(first.remainingItemCount).toBe(6);
    // Writes after the first page must not show in later pages.
    await store.create(`${p}ns/item-99`, obj('item-99'));
    await store.guaranteedUpdate(`${p}ns/item-5`, (o) => ({ ...o, data: { v: '1' } }));
    await store.delete(`${p}ns/item-7`);
    const second = await store.list(p, { limit: 4, continue: first.continue });
    expect(second.resourceVersion).toBe(first.resourceVersion);
    expect(second.items.map((o) => o.metadata.name)).toEqual(['item-4', 'item-5', 'item-6', 'item-7']);
    expect(second.items[1]?.data).toEqual({ v: '0' });
    const third = await store.list(p, { limit: 4, continue: second.continue });
    expect(third.items.map((o) => o.metadata.name)).toEqual(['item-8', 'item-9']);
    expect(third.continue).toBeUndefined();
    const latest = await store.list(p);
    expect(latest.items.map((o) => o.metadata.name)).toContain('item-99');
    expect(latest.items.map((o) => o.metadata.name)).not.toContain('item-7');
  });

  it('counts only matching items against the limit when filtering', async () => {
    const p = prefix();
    for (let i = 0; i < 30; i++) {
      await store.create(
        `${p}ns/o-${String(i).padStart(2, '0')}`,
        obj(`o-${String(i).padStart(2, '0')}`, { data: { even: String(i % 2 === 0) } }),
      );
    }
    const predicate = (o: KubeObject) =>
      (o.data as { even: string }).even === 'true' && Number(o.metadata.name?.slice(2)) >= 10;
    const names: string[] = [];
    let cont: string | undefined;
    let pages = 0;
    do {
      const page = await store.list(p, { limit: 2, continue: cont, predicate });
      expect(page.items.length).toBeLessThanOrEqual(2);
      names.push(...page.items.map((o) => o.metadata.name as string));
      cont = page.continue;
      pages++;
    } while (cont);
    expect(names).toEqual(['o-10', 'o-12', 'o-14', 'o-16', 'o-18', 'o-20', 'o-22', 'o-24', 'o-26', 'o-28']);
    expect(pages).toBeGreaterThanOrEqual(5);
  });

  it('honours resourceVersion semantics on list and get', async () => {
    const p = prefix();
    const a = await store.create(`${p}ns/a`, obj('a', { data: { v: '1' } }));
    await store.guaranteedUpdate(`${p}ns/a`, (o) => ({ ...o, data: { v: '2' } }));
    const exact = await store.list(p, {
      resourceVersion: a.metadata.resourceVersion,
      resourceVersionMatch: 'Exact',
    });
    expect(exact.resourceVersion).toBe(a.metadata.resourceVersion);
    expect(exact.items[0]?.data).toEqual({ v: '1' });
    const notOlder = await store.list(p, {
      resourceVersion: a.metadata.resourceVersion,
      resourceVersionMatch: 'NotOlderThan',
    });
    expect(notOlder.items[0]?.data).toEqual({ v: '2' });
    const future = String(Number(await store.currentRevision()) + 1000);
    await expectCode(store.list(p, { resourceVersion: future }), 'TooLargeResourceVersion');
    await expectCode(
      store.list(p, { resourceVersion: future, resourceVersionMatch: 'Exact' }),
      'TooLargeResourceVersion',
    );
    await expectCode(store.get(`${p}ns/a`, { resourceVersion: future }), 'TooLargeResourceVersion');
    expect((await store.get(`${p}ns/a`, { resourceVersion: '0' })).data).toEqual({ v: '2' });
  });

  it('attaches a lease to TTL creates and keeps it on update', async () => {
    const key = `${prefix()}ns/ev`;
    await store.create(key, obj('ev'), { leaseSeconds: 3600 });
    const before = await store.client.kv.range({ key: Buffer.from(key) });
    expect(before.kvs[0]?.lease).not.toBe('0');
    await store.guaranteedUpdate(key, (o) => ({ ...o, data: { n: 'x' } }));
    const after = await store.client.kv.range({ key: Buffer.from(key) });
    expect(after.kvs[0]?.lease).toBe(before.kvs[0]?.lease);
  });

  it('reports an object too large for etcd as a non-retryable SkiffError, not Unavailable', async () => {
    const key = `${prefix()}ns/huge`;
    const err = await store
      .create(key, obj('huge', { data: { blob: 'x'.repeat(1_800_000) } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).code).toBe('SKIFF_ETCD_REQUEST_TOO_LARGE');
    expect(await store.healthy()).toBe(true);
  });
});
