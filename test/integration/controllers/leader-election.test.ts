import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { ApiClient, loadKubeconfig } from '../../../client/index.js';
import type { ControllerEntry } from '../../../control-plane/controllers/controller-context.js';
import { startControllerManager } from '../../../control-plane/controllers/controller-manager.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';
import { res, until } from './harness.js';

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'leader-test' });
});
afterAll(async () => {
  await api?.close();
  await server?.stop();
});

/** An entry that records which manager runs it and counts syncs of ConfigMap keys. */
function probe(who: string, running: Set<string>): ControllerEntry {
  return {
    name: 'probe',
    start(ctx) {
      running.add(who);
      ctx.signal.addEventListener('abort', () => running.delete(who), { once: true });
      const cms = ctx.informers.informerFor<KubeObject>(res('configmaps'));
      const queue = ctx.newQueue();
      cms.addEventHandler({ onAdd: (o) => queue.add(o.metadata.name ?? '') });
      ctx.runWorkers(queue, { sync: async () => {} });
    },
  };
}

describe('controller-manager leader election', () => {
  it('runs the controllers in one manager only, and the other takes over when it stops', async () => {
    await api.create(res('configmaps'), { metadata: { name: 'probe' }, data: {} } as KubeObject, {
      namespace: 'default',
    });
    const running = new Set<string>();
    const log = pino({ level: 'silent' });
    const timing = { leaseDurationMs: 3000, renewDeadlineMs: 2000, retryPeriodMs: 300 };
    const a = new AbortController();
    const b = new AbortController();
    const runA = startControllerManager({
      api,
      log,
      signal: a.signal,
      leaderElect: true,
      identity: 'cm-a',
      entries: [probe('a', running)],
      ...timing,
    });
    await until(() => running.has('a'), 'manager a leading');
    const runB = startControllerManager({
      api,
      log,
      signal: b.signal,
      leaderElect: true,
      identity: 'cm-b',
      entries: [probe('b', running)],
      ...timing,
    });
    await new Promise((r) => setTimeout(r, 1500));
    expect([...running]).toEqual(['a']);
    const lease = await api.get<KubeObject & { spec?: { holderIdentity?: string } }>(
      res('leases', 'coordination.k8s.io'),
      'kube-controller-manager',
      {
        namespace: 'kube-system',
      },
    );
    expect(lease.spec?.holderIdentity).toBe('cm-a');

    a.abort();
    await runA;
    await until(() => running.has('b'), 'manager b took over', 10_000);
    expect(running.has('a')).toBe(false);
    b.abort();
    await runB;
    expect(running.size).toBe(0);

    const metric = await register.getSingleMetric('skiff_controller_sync_total')?.get();
    expect(metric?.values.some((v) => v.labels.controller === 'probe' && v.labels.result === 'success')).toBe(
      true,
    );
  });

  it('refuses an unknown controller name', async () => {
    await expect(
      startControllerManager({
        api,
        log: pino({ level: 'silent' }),
        signal: new AbortController().signal,
        controllers: ['*', '-nope'],
      }),
    ).rejects.toThrow(/nope/);
  });
});
