import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { type DeleteInfo, Informer } from '../../../client/informer.js';
import { ApiClient, type ResourceRef } from '../../../client/rest-client.js';
import { eventually, FakeApiServer } from './fake-api-server.js';

type PodObject = Pod & KubeObject;

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const COLLECTION = '/api/v1/namespaces/default/pods';

const pod = (name: string, node = ''): PodObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: 'default' },
  spec: { containers: [{ name: 'c', image: 'busybox' }], nodeName: node || undefined },
});

interface Recorded {
  log: string[];
  deletes: { name: string; info: DeleteInfo }[];
}

function record(informer: Informer<PodObject>): Recorded {
  const r: Recorded = { log: [], deletes: [] };
  informer.addEventHandler({
    onAdd: (o) => r.log.push(`add:${o.metadata.name}`),
    onUpdate: (a, b) =>
      r.log.push(`update:${b.metadata.name}:${a.metadata.resourceVersion}->${b.metadata.resourceVersion}`),
    onDelete: (o, info) => {
      r.log.push(`delete:${o.metadata.name}`);
      r.deletes.push({ name: o.metadata.name as string, info });
    },
  });
  return r;
}

describe('Informer', () => {
  let server: FakeApiServer;
  let api: ApiClient;
  let stop: AbortController;

  beforeEach(async () => {
    server = new FakeApiServer();
    server.collection(COLLECTION);
    api = new ApiClient({ server: await server.start() }, { component: 'test', qps: 0 });
    stop = new AbortController();
  });

  afterEach(async () => {
    stop.abort();
    await api.close();
    await server.stop();
  });

  function informer(
    extra: Partial<ConstructorParameters<typeof Informer<PodObject>>[2]> = {},
  ): Informer<PodObject> {
    return new Informer<PodObject>(api, PODS, {
      namespace: 'default',
      pageSize: 2,
      indexers: { byNode: (p) => (p.spec?.nodeName ? [p.spec.nodeName] : []) },
      ...extra,
    });
  }

  it('lists every page, syncs, then follows watch events into the cache and handlers', async () => {
    server.put(COLLECTION, pod('a', 'n1'));
    server.put(COLLECTION, pod('b', 'n2'));
    server.put(COLLECTION, pod('c', 'n1'));
    const inf = informer();
    const rec = record(inf);
    const done = inf.start(stop.signal);
    await inf.waitForSync(stop.signal);
    expect(inf.hasSynced()).toBe(true);
    expect(inf.store.keys().sort()).toEqual(['default/a', 'default/b', 'default/c']);
    expect(rec.log.sort()).toEqual(['add:a', 'add:b', 'add:c']);
    const lists = server.requests.filter((r) => r.method === 'GET' && r.query.get('watch') !== 'true');
    expect(lists.map((r) => r.query.get('continue'))).toEqual([null, '2']);
    expect(
      inf.store
        .byIndex('byNode', 'n1')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['a', 'c']);
    expect(inf.store.byIndex('namespace', 'default')).toHaveLength(3);

    await eventually(() => server.openWatches(COLLECTION) === 1);
    const watchReq = server.requests.find((r) => r.query.get('watch') === 'true');
    expect(watchReq?.query.get('resourceVersion')).toBe('103');
    expect(watchReq?.query.get('allowWatchBookmarks')).toBe('true');

    rec.log.length = 0;
    server.put(COLLECTION, pod('d', 'n2'));
    server.put(COLLECTION, pod('a', 'n2'));
    server.remove(COLLECTION, 'b');
    await eventually(() => rec.log.length === 3);
    expect(rec.log).toEqual(['add:d', 'update:a:101->105', 'delete:b']);
    expect(rec.deletes[0].info.finalStateUnknown).toBe(false);
    expect(inf.store.get('default/b')).toBeUndefined();
    expect(inf.store.byIndex('byNode', 'n1').map((p) => p.metadata.name)).toEqual(['c']);
    expect(
      inf.store
        .byIndex('byNode', 'n2')
        .map((p) => p.metadata.name)
        .sort(),
    ).toEqual(['a', 'd']);
    stop.abort();
    await done;
  });

  it('re-watches from the last seen resourceVersion (bookmarks included) when a watch ends', async () => {
    server.put(COLLECTION, pod('a'));
    const inf = informer();
    const rec = record(inf);
    void inf.start(stop.signal);
    await eventually(() => server.openWatches(COLLECTION) === 1);
    server.put(COLLECTION, pod('b'));
    server.bookmark(COLLECTION);
    await eventually(() => inf.resourceVersion === String(server.currentRv));
    const rvAfterBookmark = inf.resourceVersion;
    server.closeWatches(COLLECTION);
    await eventually(() => server.openWatches(COLLECTION) === 1);
    const watches = server.requests.filter((r) => r.query.get('watch') === 'true');
    expect(watches).toHaveLength(2);
    expect(watches[1].query.get('resourceVersion')).toBe(rvAfterBookmark);
    const lists = server.requests.filter((r) => r.query.get('watch') !== 'true');
    expect(lists).toHaveLength(1);
    expect(rec.log).toEqual(['add:a', 'add:b']);
  });

  it('relists on 410 Expired and delivers the difference, with tombstones for missed deletes', async () => {
    server.put(COLLECTION, pod('keep'));
    server.put(COLLECTION, pod('change'));
    server.put(COLLECTION, pod('gone'));
    const inf = informer();
    const rec = record(inf);
    void inf.start(stop.signal);
    await eventually(() => server.openWatches(COLLECTION) === 1);
    rec.log.length = 0;
    server.put(COLLECTION, pod('change', 'n9'), { silent: true });
    server.remove(COLLECTION, 'gone', { silent: true });
    server.put(COLLECTION, pod('new'), { silent: true });
    server.expireWatches(COLLECTION);
    await eventually(() => rec.log.length === 3).catch((e) => {
      throw new Error(
        `${e.message}: ${rec.log.join(',')} ${server.requests.map((r) => r.query.toString()).join(' | ')}`,
      );
    });
    expect(rec.log.sort()).toEqual(['add:new', 'delete:gone', 'update:change:102->104']);
    expect(rec.deletes).toEqual([{ name: 'gone', info: { finalStateUnknown: true } }]);
    expect(rec.deletes.length).toBe(1);
    expect(inf.store.keys().sort()).toEqual(['default/change', 'default/keep', 'default/new']);
    await eventually(() => server.openWatches(COLLECTION) === 1);
    expect(server.requests.filter((r) => r.query.get('watch') !== 'true').length).toBeGreaterThanOrEqual(2);
  });

  it('backs off instead of hot-looping while the server is down, then recovers', async () => {
    server.down = true;
    const inf = informer({ backoff: { initialMs: 40, maxMs: 200 } });
    void inf.start(stop.signal);
    await new Promise((r) => setTimeout(r, 500));
    const attempts = server.requests.length;
    // 40, 80, 160, 200, ... (plus jitter) ms: a handful of attempts, never hundreds.
    expect(attempts).toBeGreaterThanOrEqual(2);
    expect(attempts).toBeLessThanOrEqual(6);
    expect(inf.hasSynced()).toBe(false);
    server.put(COLLECTION, pod('a'));
    server.down = false;
    await inf.waitForSync(stop.signal);
    expect(inf.store.get('default/a')?.metadata.name).toBe('a');
  });

  it('freezes cached objects and replays adds to handlers registered after sync', async () => {
    server.put(COLLECTION, pod('a'));
    const inf = informer();
    void inf.start(stop.signal);
    await inf.waitForSync(stop.signal);
    const cached = inf.store.get('default/a') as PodObject;
    expect(() => {
      (cached.metadata as { name: string }).name = 'x';
    }).toThrow(TypeError);
    const late = record(inf);
    expect(late.log).toEqual(['add:a']);
  });

  it('re-delivers every cached object as an update on resync', async () => {
    server.put(COLLECTION, pod('a'));
    server.put(COLLECTION, pod('b'));
    const inf = informer({ resyncPeriodMs: 50 });
    const rec = record(inf);
    void inf.start(stop.signal);
    await inf.waitForSync(stop.signal);
    await eventually(() => rec.log.filter((l) => l.startsWith('update:')).length >= 2);
    expect(rec.log.filter((l) => l.startsWith('update:a:101->101')).length).toBeGreaterThanOrEqual(1);
  });
});
