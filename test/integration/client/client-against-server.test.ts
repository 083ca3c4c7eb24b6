import type { ConfigMap } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import { RESOURCES } from '../../../api/resources.js';
import { EVENTS, EventRecorder } from '../../../client/event-recorder.js';
import { Informer } from '../../../client/informer.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { LeaderElector } from '../../../client/leader-election.js';
import { ApiClient } from '../../../client/rest-client.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const CONFIGMAPS = RESOURCES.find((r) => r.plural === 'configmaps')!;
const LEASES = RESOURCES.find((r) => r.plural === 'leases')!;

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'client-test' });
});
afterAll(async () => {
  await api?.close();
  await server?.stop();
});

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('client/ against a real skiff server', () => {
  it('creates, reads, updates with preconditions and deletes', async () => {
    const created = await api.create<ConfigMap>(
      CONFIGMAPS,
      { metadata: { name: 'c1' }, data: { a: '1' } } as ConfigMap,
      { namespace: 'default' },
    );
    expect(created.metadata?.uid).toBeTruthy();
    const updated = await api.update<ConfigMap>(
      CONFIGMAPS,
      { ...created, data: { a: '2' } },
      { namespace: 'default' },
    );
    expect(updated.data).toEqual({ a: '2' });
    await expect(
      api.update(CONFIGMAPS, { ...created, data: { a: '3' } }, { namespace: 'default' }),
    ).rejects.toSatisfy((e) => isStatusError(e, 'Conflict'));
    await api.delete(CONFIGMAPS, 'c1', { namespace: 'default' });
    await expect(api.get(CONFIGMAPS, 'c1', { namespace: 'default' })).rejects.toSatisfy((e) =>
      isStatusError(e, 'NotFound'),
    );
  });

  it('keeps an informer in sync with adds, updates and deletes', async () => {
    const informer = new Informer<ConfigMap>(api, CONFIGMAPS, {
      namespace: 'default',
      labelSelector: 'informed=yes',
    });
    const seen: string[] = [];
    informer.addEventHandler({
      onAdd: (o) => seen.push(`add:${o.metadata?.name}`),
      onUpdate: (_old, o) => seen.push(`update:${o.metadata?.name}:${o.data?.v}`),
      onDelete: (o) => seen.push(`delete:${o.metadata?.name}`),
    });
    await api.create(
      CONFIGMAPS,
      { metadata: { name: 'pre', labels: { informed: 'yes' } } },
      { namespace: 'default' },
    );
    const stop = new AbortController();
    void informer.start(stop.signal);
    await informer.waitForSync(stop.signal);
    expect(informer.store.get('default/pre')).toBeDefined();
    await api.create(
      CONFIGMAPS,
      { metadata: { name: 'live', labels: { informed: 'yes' } }, data: { v: '1' } },
      { namespace: 'default' },
    );
    await api.patch(CONFIGMAPS, 'live', { data: { v: '2' } }, 'merge', { namespace: 'default' });
    await api.create(CONFIGMAPS, { metadata: { name: 'other' } }, { namespace: 'default' });
    await api.delete(CONFIGMAPS, 'pre', { namespace: 'default' });
    await until(() => seen.includes('delete:pre') && seen.includes('update:live:2'));
    expect(seen).toEqual(['add:pre', 'add:live', 'update:live:2', 'delete:pre']);
    expect(informer.store.get('default/other')).toBeUndefined();
    stop.abort();
  });

  it('elects one leader on a Lease and hands over on release', async () => {
    const events: string[] = [];
    const make = (identity: string) =>
      new LeaderElector({
        api,
        namespace: 'kube-system',
        name: 'skiff-test',
        identity,
        leaseDurationMs: 3000,
        renewDeadlineMs: 2000,
        retryPeriodMs: 250,
        onStartedLeading: () => {
          events.push(`lead:${identity}`);
        },
      });
    const a = make('a');
    const b = make('b');
    const stopA = new AbortController();
    const stopB = new AbortController();
    const runA = a.run(stopA.signal);
    await until(() => a.isLeader());
    const runB = b.run(stopB.signal);
    await new Promise((r) => setTimeout(r, 1000));
    expect(b.isLeader()).toBe(false);
    stopA.abort();
    await runA;
    await until(() => b.isLeader(), 10_000);
    const lease = await api.get<any>(LEASES, 'skiff-test', { namespace: 'kube-system' });
    expect(lease.spec.holderIdentity).toBe('b');
    expect(lease.spec.leaseTransitions).toBeGreaterThanOrEqual(1);
    stopB.abort();
    await runB;
    expect(events).toEqual(['lead:a', 'lead:b']);
  });

  it('records events and aggregates repeats', async () => {
    const recorder = new EventRecorder({ api, component: 'client-test' });
    const cm = await api.create<ConfigMap>(CONFIGMAPS, { metadata: { name: 'evented' } } as ConfigMap, {
      namespace: 'default',
    });
    recorder.event(cm as any, 'Normal', 'Tested', 'it happened');
    recorder.event(cm as any, 'Normal', 'Tested', 'it happened');
    await recorder.flush();
    const list = await api.list<any>(EVENTS, {
      namespace: 'default',
      fieldSelector: 'involvedObject.name=evented',
    });
    expect(list.items).toHaveLength(1);
    expect(list.items[0].count).toBe(2);
    expect(list.items[0].reason).toBe('Tested');
    await recorder.close();
  });
});
