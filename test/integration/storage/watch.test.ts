import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { isStorageError, type StoreEvent, type StoreWatch } from '../../../control-plane/storage/store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;
let seq = 0;

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({
    endpoints: [etcd.endpoint],
    log: pino({ level: 'silent' }),
    watchCache: { bookmarkIntervalMs: 200, queueSize: 50, bufferSize: 100 },
  });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

function prefix(): string {
  return `/registry/w${++seq}/things/`;
}

function obj(name: string, labels: Record<string, string> = {}, ns = 'ns'): KubeObject {
  return { metadata: { name, namespace: ns, labels } };
}

/** Reads `n` events (BOOKMARKs skipped unless asked), failing after `timeoutMs`. */
async function take(
  w: StoreWatch,
  n: number,
  opts: { bookmarks?: boolean; timeoutMs?: number } = {},
): Promise<StoreEvent[]> {
  const it = w.events[Symbol.asyncIterator]();
  const out: StoreEvent[] = [];
  const deadline = Date.now() + (opts.timeoutMs ?? 5_000);
  while (out.length < n) {
    const left = deadline - Date.now();
    if (left <= 0) throw new Error(`timed out after ${out.length}/${n} events: ${JSON.stringify(out)}`);
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), left)),
    ]);
    if (r === 'timeout') continue;
    if (r.done) throw new Error(`watch ended after ${out.length}/${n} events`);
    if (r.value.type === 'BOOKMARK' && !opts.bookmarks) continue;
    out.push(r.value);
  }
  return out;
}

/** Events that arrive within `ms` (the watch must stay open). */
async function drain(w: StoreWatch, ms: number): Promise<StoreEvent[]> {
  const it = w.events[Symbol.asyncIterator]();
  const out: StoreEvent[] = [];
  const deadline = Date.now() + ms;
  for (;;) {
    const left = deadline - Date.now();
    if (left <= 0) return out;
    const r = await Promise.race([
      it.next(),
      new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), left)),
    ]);
    if (r === 'timeout') return out;
    if (r.done) return out;
    out.push(r.value);
  }
}

/** True when the events iterator finishes (without further events) within `ms`. */
async function ends(w: StoreWatch, ms: number): Promise<boolean> {
  const r = await Promise.race([
    w.events[Symbol.asyncIterator]().next(),
    new Promise<'timeout'>((res) => setTimeout(() => res('timeout'), ms)),
  ]);
  return r !== 'timeout' && r.done === true;
}

function summary(events: StoreEvent[]): string[] {
  return events.map((e) => `${e.type} ${e.object.metadata.name}`);
}

describe('EtcdStore watch', () => {
  it('from "0" sends ADDED for existing objects, then live changes', async () => {
    const p = prefix();
    await store.create(`${p}ns/a`, obj('a'));
    await store.create(`${p}ns/b`, obj('b'));
    const w = store.watch(p, { resourceVersion: '0' });
    expect(summary(await take(w, 2))).toEqual(['ADDED a', 'ADDED b']);
    await store.guaranteedUpdate(`${p}ns/a`, (o) => ({ ...o, data: { x: '1' } }));
    const del = await store.create(`${p}ns/c`, obj('c'));
    await store.delete(`${p}ns/c`);
    const events = await take(w, 3);
    expect(summary(events)).toEqual(['MODIFIED a', 'ADDED c', 'DELETED c']);
    expect(Number(events[2]?.object.metadata.resourceVersion)).toBeGreaterThan(
      Number(del.metadata.resourceVersion),
    );
    w.stop();
  });

  it('from "" sends only changes after now', async () => {
    const p = prefix();
    await store.create(`${p}ns/old`, obj('old'));
    const w = store.watch(p, {});
    await new Promise((r) => setTimeout(r, 200));
    await store.create(`${p}ns/new`, obj('new'));
    expect(summary(await take(w, 1))).toEqual(['ADDED new']);
    w.stop();
  });

  it('from a revision replays the events missed since, from etcd and from the cache', async () => {
    const p = prefix();
    const first = await store.create(`${p}ns/a`, obj('a'));
    await store.guaranteedUpdate(`${p}ns/a`, (o) => ({ ...o, data: { v: '2' } }));
    await store.create(`${p}ns/b`, obj('b'));
    // No cache for this resource existed before: etcd replays it.
    const w1 = store.watch(p, { resourceVersion: first.metadata.resourceVersion });
    expect(summary(await take(w1, 2))).toEqual(['MODIFIED a', 'ADDED b']);
    // The cache now exists; later changes are replayed from memory.
    const mark = await store.currentRevision();
    await store.create(`${p}ns/c`, obj('c'));
    await store.delete(`${p}ns/b`);
    await new Promise((r) => setTimeout(r, 200));
    const opened = EtcdStore.openEtcdWatches;
    const w2 = store.watch(p, { resourceVersion: mark });
    expect(summary(await take(w2, 2))).toEqual(['ADDED c', 'DELETED b']);
    expect(EtcdStore.openEtcdWatches).toBe(opened);
    w1.stop();
    w2.stop();
  });

  it('turns predicate transitions into ADDED and DELETED', async () => {
    const p = prefix();
    await store.create(`${p}ns/x`, obj('x', { app: 'web' }));
    const w = store.watch(p, { resourceVersion: '0', predicate: (o) => o.metadata.labels?.app === 'web' });
    expect(summary(await take(w, 1))).toEqual(['ADDED x']);
    const moved = await store.guaranteedUpdate(`${p}ns/x`, (o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { app: 'db' } },
    }));
    await store.create(`${p}ns/y`, obj('y', { app: 'db' }));
    await store.guaranteedUpdate(`${p}ns/x`, (o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { app: 'web' } },
    }));
    await store.guaranteedUpdate(`${p}ns/x`, (o) => ({ ...o, data: { v: '1' } }));
    const events = await take(w, 3);
    expect(summary(events)).toEqual(['DELETED x', 'ADDED x', 'MODIFIED x']);
    // The DELETED carries the last matching state at the revision that moved it out.
    expect(events[0]?.object.metadata.labels).toEqual({ app: 'web' });
    expect(events[0]?.object.metadata.resourceVersion).toBe(moved.metadata.resourceVersion);
    w.stop();
  });

  it('watches one namespace or one key under a resource', async () => {
    const p = prefix();
    const inNs = store.watch(`${p}ns1/`, { resourceVersion: '0' });
    const oneKey = store.watch(`${p}ns2/b`, { resourceVersion: '0' });
    await new Promise((r) => setTimeout(r, 200));
    await store.create(`${p}ns2/a`, obj('a', {}, 'ns2'));
    await store.create(`${p}ns1/a`, obj('a', {}, 'ns1'));
    await store.create(`${p}ns2/b`, obj('b', {}, 'ns2'));
    expect(
      (await take(inNs, 1)).map((e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`),
    ).toEqual(['ADDED ns1/a']);
    expect(
      (await take(oneKey, 1)).map(
        (e) => `${e.type} ${e.object.metadata.namespace}/${e.object.metadata.name}`,
      ),
    ).toEqual(['ADDED ns2/b']);
    expect(await drain(inNs, 200)).toEqual([]);
    inNs.stop();
    oneKey.stop();
  });

  it('sends periodic bookmarks only to watchers that asked for them', async () => {
    const p = prefix();
    const withBm = store.watch(p, { bookmarks: true, predicate: () => false });
    const without = store.watch(p, {});
    await new Promise((r) => setTimeout(r, 100));
    const created = await store.create(`${p}ns/a`, obj('a'));
    const bm = await take(withBm, 1, { bookmarks: true, timeoutMs: 3_000 });
    expect(bm[0]?.type).toBe('BOOKMARK');
    // Filtered-out events never show up, not even as bookmarks in their place.
    const later = await take(withBm, 1, { bookmarks: true, timeoutMs: 3_000 });
    expect(later[0]?.type).toBe('BOOKMARK');
    expect(Number(later[0]?.object.metadata.resourceVersion)).toBeGreaterThanOrEqual(
      Number(created.metadata.resourceVersion),
    );
    const plain = await drain(without, 600);
    expect(summary(plain)).toEqual(['ADDED a']);
    withBm.stop();
    without.stop();
  });

  it('serves 1000 watchers of one resource from one etcd watch', async () => {
    const p = prefix();
    const warm = store.watch(p, {});
    await new Promise((r) => setTimeout(r, 200));
    const before = EtcdStore.openEtcdWatches;
    const watchers = Array.from({ length: 1000 }, (_, i) => store.watch(i % 2 ? p : `${p}ns/`, {}));
    await new Promise((r) => setTimeout(r, 200));
    expect(EtcdStore.openEtcdWatches).toBe(before);
    expect(store.watcherCount()).toBeGreaterThanOrEqual(1001);
    await store.create(`${p}ns/a`, obj('a'));
    const got = await Promise.all(watchers.map((w) => take(w, 1)));
    expect(got.every((e) => e[0]?.type === 'ADDED' && e[0].object.metadata.name === 'a')).toBe(true);
    for (const w of watchers) w.stop();
    warm.stop();
    expect(EtcdStore.openEtcdWatches).toBe(before);
  });

  it('ends a slow watcher whose queue overflows without holding back the others', async () => {
    const p = prefix();
    const slow = store.watch(p, {});
    const fast = store.watch(p, {});
    await new Promise((r) => setTimeout(r, 200));
    const received: StoreEvent[] = [];
    const consume = (async () => {
      for await (const e of fast.events) {
        received.push(e);
        if (received.length === 80) return;
      }
    })();
    for (let i = 0; i < 80; i++) await store.create(`${p}ns/o${i}`, obj(`o${i}`));
    await consume;
    expect(received).toHaveLength(80);
    const slowEvents: StoreEvent[] = [];
    for await (const e of slow.events) slowEvents.push(e);
    expect(slowEvents.length).toBeLessThanOrEqual(50);
    fast.stop();
  });

  it('answers Expired for a watch or a list continue from a compacted revision', async () => {
    const p = prefix();
    for (let i = 0; i < 5; i++) await store.create(`${p}ns/o${i}`, obj(`o${i}`));
    const page = await store.list(p, { limit: 2 });
    const old = page.resourceVersion;
    await store.create(`${p}ns/late`, obj('late'));
    await store.client.kv.compact({ revision: await store.currentRevision(), physical: true });
    const err = await store.list(p, { limit: 2, continue: page.continue }).catch((e: unknown) => e);
    expect(isStorageError(err, 'Expired')).toBe(true);
    const w = store.watch(p, { resourceVersion: String(Number(old) - 1) });
    const werr = await take(w, 1).catch((e: unknown) => e);
    expect(isStorageError(werr, 'Expired')).toBe(true);
    const exact = await store
      .list(p, { resourceVersion: old, resourceVersionMatch: 'Exact' })
      .catch((e: unknown) => e);
    expect(isStorageError(exact, 'Expired')).toBe(true);
  });

  it('serves list and get with resourceVersion "0" from the cache once it is warm', async () => {
    const p = prefix();
    await store.create(`${p}ns/a`, obj('a'));
    const w = store.watch(p, {});
    await new Promise((r) => setTimeout(r, 200));
    const b = await store.create(`${p}ns/b`, obj('b'));
    await new Promise((r) => setTimeout(r, 200));
    const listed = await store.list(p, { resourceVersion: '0' });
    expect(listed.items.map((o) => o.metadata.name)).toEqual(['a', 'b']);
    expect(Number(listed.resourceVersion)).toBeGreaterThanOrEqual(Number(b.metadata.resourceVersion));
    expect((await store.get(`${p}ns/b`, { resourceVersion: '0' })).metadata.resourceVersion).toBe(
      b.metadata.resourceVersion,
    );
    w.stop();
  });
});

describe('EtcdStore watch with sendInitialEvents', () => {
  it('sends the current state, an initial-events-end bookmark, then changes', async () => {
    const p = prefix();
    await store.create(`${p}ns/a`, obj('a'));
    const w = store.watch(p, { recursive: true, bookmarks: true });
    const first = await take(w, 2, { bookmarks: true });
    expect(first[0]?.type).toBe('ADDED');
    expect(first[1]?.type).toBe('BOOKMARK');
    expect(first[1]?.object.metadata.annotations).toEqual({ 'k8s.io/initial-events-end': 'true' });
    await store.create(`${p}ns/b`, obj('b'));
    expect(summary(await take(w, 1))).toEqual(['ADDED b']);
    w.stop();
  });

  it('rejects a malformed resourceVersion from the events iterator', async () => {
    const w = store.watch(prefix(), { resourceVersion: 'abc' });
    const err = await take(w, 1).catch((e: unknown) => e);
    expect((err as { code?: number }).code).toBe(400);
  });

  it('refuses a watch from a revision etcd has not reached', async () => {
    const future = String(Number(await store.currentRevision()) + 1000);
    const w = store.watch(prefix(), { resourceVersion: future });
    const err = await take(w, 1).catch((e: unknown) => e);
    expect(isStorageError(err, 'TooLargeResourceVersion')).toBe(true);
  });

  it('ends every watch, from memory or from etcd, when the store closes', async () => {
    const own = new EtcdStore({ endpoints: [etcd.endpoint], log: pino({ level: 'silent' }) });
    const p = prefix();
    const first = await own.create(`${p}ns/a`, obj('a'));
    await own.create(`${p}ns/b`, obj('b'));
    const live = own.watch(p, {});
    const replay = own.watch(p, { resourceVersion: first.metadata.resourceVersion });
    expect(summary(await take(replay, 1))).toEqual(['ADDED b']);
    const opened = EtcdStore.openEtcdWatches;
    await own.close();
    expect(await ends(live, 1_000)).toBe(true);
    expect(await ends(replay, 1_000)).toBe(true);
    expect(EtcdStore.openEtcdWatches).toBe(opened - 2);
  });
});
