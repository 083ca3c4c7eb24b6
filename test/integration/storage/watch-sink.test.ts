import { Etcd3 } from 'etcd3';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import type { StoreEvent, StoreWatch } from '../../../control-plane/storage/store.js';
import { watchCacheDispatch } from '../../../control-plane/storage/watch-cache-metrics.js';
import { offerSink } from '../../../control-plane/storage/watch-cache-sink.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;
let seq = 0;

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({
    endpoints: [etcd.endpoint],
    log: pino({ level: 'silent' }),
    watchCache: { bookmarkIntervalMs: 60_000, queueSize: 20, bufferSize: 100 },
  });
});
afterAll(async () => {
  await store?.close();
  await etcd?.stop();
});

function prefix(): string {
  return `/registry/s${++seq}/things/`;
}

function obj(name: string, labels: Record<string, string> = {}): KubeObject {
  return { metadata: { name, namespace: 'ns', labels } };
}

async function until(cond: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * A consumer as the apiserver's watch stream is: it takes events from the sink while `accept()`
 * says so and reads the rest from the iterator, counting them in `consumed`. `via` records
 * which way each event came.
 */
function consumer(w: StoreWatch, accept: () => boolean = () => true) {
  const got: string[] = [];
  const via: Array<'sink' | 'queue'> = [];
  const events: StoreEvent[] = [];
  const sink = {
    consumed: 0,
    offer(e: StoreEvent): boolean {
      if (!accept()) return false;
      got.push(`${e.type} ${e.object.metadata.name}`);
      via.push('sink');
      events.push(e);
      return true;
    },
  };
  offerSink(w, sink);
  let ended = false;
  const reading = (async () => {
    for await (const e of w.events) {
      if (e.type === 'BOOKMARK') {
        sink.consumed++;
        continue;
      }
      got.push(`${e.type} ${e.object.metadata.name}`);
      via.push('queue');
      events.push(e);
      sink.consumed++;
    }
    ended = true;
  })();
  return { got, via, events, reading, ended: () => ended };
}

describe('watch cache synchronous delivery', () => {
  it('hands live changes to a caught-up consumer from the fan-out loop, initial state through the queue', async () => {
    const p = prefix();
    await store.create(`${p}ns/a`, obj('a'));
    await store.watch(p, {}).stop(); // warms the cache
    const w = store.watch(p, { resourceVersion: '0' });
    const c = consumer(w);
    await until(() => c.got.length === 1, 'the initial ADDED');
    await store.create(`${p}ns/b`, obj('b'));
    await store.guaranteedUpdate(`${p}ns/b`, (o) => ({ ...o, data: { x: '1' } }));
    await until(() => c.got.length === 3, 'the live changes');
    expect(c.got).toEqual(['ADDED a', 'ADDED b', 'MODIFIED b']);
    expect(c.via).toEqual(['queue', 'sink', 'sink']);
    w.stop();
    await c.reading;
  });

  it('keeps resourceVersion order when a refusing consumer catches up through the queue', async () => {
    const p = prefix();
    let open = false;
    const w = store.watch(p, {});
    const c = consumer(w, () => open);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 5; i++) await store.create(`${p}ns/o${i}`, obj(`o${i}`));
    await until(() => c.got.length === 5, 'the refused events through the queue');
    open = true;
    for (let i = 5; i < 10; i++) await store.create(`${p}ns/o${i}`, obj(`o${i}`));
    await until(() => c.got.length === 10, 'the rest');
    expect(c.got).toEqual(Array.from({ length: 10 }, (_, i) => `ADDED o${i}`));
    expect(c.via.slice(0, 5)).toEqual(Array(5).fill('queue'));
    expect(c.via.slice(5)).toEqual(Array(5).fill('sink'));
    const rvs = c.events.map((e) => Number(e.object.metadata.resourceVersion));
    expect([...rvs].sort((a, b) => a - b)).toEqual(rvs);
    w.stop();
    await c.reading;
  });

  it('does not use the sink while a queued event is not consumed yet', async () => {
    const p = prefix();
    const w = store.watch(p, {});
    const offered: string[] = [];
    // Accepts from the sink but never reads the iterator: after one refusal, all must queue.
    let refuseOnce = true;
    offerSink(w, {
      consumed: 0,
      offer(e) {
        offered.push(e.object.metadata.name ?? '');
        if (refuseOnce) {
          refuseOnce = false;
          return false;
        }
        return true;
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 3; i++) await store.create(`${p}ns/q${i}`, obj(`q${i}`));
    await new Promise((r) => setTimeout(r, 300));
    expect(offered).toEqual(['q0']);
    w.stop();
  });

  it('ends a backed-up watcher when its queue overflows and keeps serving the others', async () => {
    const p = prefix();
    const slow = store.watch(p, {});
    const fast = store.watch(p, {});
    // The slow consumer refuses every offer and does not read its queue until the end.
    offerSink(slow, { consumed: 0, offer: () => false });
    const f = consumer(fast);
    await new Promise((r) => setTimeout(r, 200));
    for (let i = 0; i < 40; i++) await store.create(`${p}ns/o${i}`, obj(`o${i}`));
    await until(() => f.got.length === 40, 'all events at the fast watcher');
    expect(f.via.every((v) => v === 'sink')).toBe(true);
    const slowEvents: StoreEvent[] = [];
    for await (const e of slow.events) slowEvents.push(e);
    expect(slowEvents.length).toBeLessThanOrEqual(20);
    expect(slowEvents.map((e) => e.object.metadata.name)).toEqual(
      Array.from({ length: slowEvents.length }, (_, i) => `o${i}`),
    );
    fast.stop();
    await f.reading;
  });

  it('evaluates a predicate shared by many watchers once per change and gives them one event', async () => {
    const p = prefix();
    let calls = 0;
    const predicate = (o: KubeObject) => {
      calls++;
      return o.metadata.labels?.app === 'web';
    };
    const watches = Array.from({ length: 50 }, () => store.watch(p, { predicate }));
    const consumers = watches.map((w) => consumer(w));
    await new Promise((r) => setTimeout(r, 200));
    calls = 0;
    await store.create(`${p}ns/web`, obj('web', { app: 'web' }));
    await store.create(`${p}ns/db`, obj('db', { app: 'db' }));
    await store.guaranteedUpdate(`${p}ns/web`, (o) => ({
      ...o,
      metadata: { ...o.metadata, labels: { app: 'x' } },
    }));
    await until(() => consumers.every((c) => c.got.length === 2), 'ADDED and DELETED web everywhere');
    await new Promise((r) => setTimeout(r, 100));
    for (const c of consumers) expect(c.got).toEqual(['ADDED web', 'DELETED web']);
    const first = consumers[0]?.events[1];
    expect(consumers.every((c) => c.events[1] === first)).toBe(true);
    // Create web: 1 call; create db: 1; update web: new and previous state, 2.
    expect(calls).toBe(4);
    for (const w of watches) w.stop();
  });

  it('tells a consumer when several changes come in one etcd response and flushes once after them', async () => {
    const p = prefix();
    const w = store.watch(p, {});
    const calls: string[] = [];
    offerSink(w, {
      consumed: 0,
      offer(e, batch) {
        calls.push(`${e.object.metadata.name} batch=${batch}`);
        return true;
      },
      flush() {
        calls.push('flush');
      },
    });
    await new Promise((r) => setTimeout(r, 200));
    const client = new Etcd3({ hosts: etcd.endpoint });
    try {
      // One transaction: three changes at one revision, delivered in one watch response.
      await client
        .if(`${p}ns/t0`, 'Create', '==', 0)
        .then(...['t0', 't1', 't2'].map((n) => client.put(`${p}ns/${n}`).value(JSON.stringify(obj(n)))))
        .commit();
      await store.create(`${p}ns/single`, obj('single'));
      await until(() => calls.length === 5, 'the batch, its flush and the single change');
    } finally {
      client.close();
    }
    expect(calls).toEqual(['t0 batch=true', 't1 batch=true', 't2 batch=true', 'flush', 'single batch=false']);
    w.stop();
  });

  it('records the fan-out time of each change that reached a watcher, by resource', async () => {
    const p = prefix();
    const count = async () =>
      (await watchCacheDispatch.get()).values.find(
        (v) => v.metricName === 'skiff_storage_watch_cache_dispatch_seconds_count' && v.labels.resource === p,
      )?.value ?? 0;
    await store.create(`${p}ns/unwatched`, obj('unwatched'));
    const w = store.watch(p, {});
    const c = consumer(w);
    await new Promise((r) => setTimeout(r, 200));
    expect(await count()).toBe(0);
    await store.create(`${p}ns/a`, obj('a'));
    await store.create(`${p}ns/b`, obj('b'));
    await until(() => c.got.length === 2, 'both changes');
    await new Promise((r) => setImmediate(r));
    expect(await count()).toBe(2);
    w.stop();
    await c.reading;
  });
});
