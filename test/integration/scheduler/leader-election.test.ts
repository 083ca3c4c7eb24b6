import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { LEASES } from '../../../client/leader-election.js';
import { ApiClient } from '../../../client/rest-client.js';
import { startScheduler } from '../../../control-plane/scheduler/run.js';
import { until } from '../../support/eventually.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const PODS = RESOURCES.find((d) => d.plural === 'pods' && d.group === '')!;
const NODES = RESOURCES.find((d) => d.plural === 'nodes' && d.group === '')!;

let server: TestServer;
let api: ApiClient;

interface Candidate {
  stop: AbortController;
  done: Promise<void>;
  lines: string[];
}

function candidate(identity: string): Candidate {
  const lines: string[] = [];
  const log = pino({ level: 'info' }, { write: (s: string) => lines.push(s) });
  const stop = new AbortController();
  const done = startScheduler({
    api,
    log,
    signal: stop.signal,
    leaderElect: true,
    identity,
    leaseDurationMs: 3000,
    renewDeadlineMs: 2000,
    retryPeriodMs: 300,
  });
  return { stop, done, lines };
}

const started = (c: Candidate) => c.lines.filter((l) => l.includes('"scheduler started"')).length;

async function createPod(name: string): Promise<void> {
  await api.create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: 'default' },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    } as Pod,
    { namespace: 'default' },
  );
}

async function bound(name: string): Promise<string> {
  return until(
    async () => (await api.get<Pod>(PODS, name, { namespace: 'default' })).spec?.nodeName || undefined,
  );
}

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'scheduler-test', qps: 0 });
  const alloc = { cpu: '4', memory: '8Gi', pods: '110' };
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'n1' },
    status: { allocatable: alloc, capacity: alloc },
  } as Node);
});

afterAll(async () => {
  await api?.close();
  await server?.stop();
});

it('schedules with one leader among two candidates, and the other takes over when it stops', async () => {
  const a = candidate('sched-a');
  const b = candidate('sched-b');
  try {
    const holder = await until(async () => {
      const lease = await api
        .get<Lease>(LEASES, 'kube-scheduler', { namespace: 'kube-system' })
        .catch(() => undefined);
      return lease?.spec?.holderIdentity || undefined;
    });
    const [leader, follower] = holder === 'sched-a' ? [a, b] : [b, a];
    await createPod('first');
    expect(await bound('first')).toBe('n1');
    expect(started(leader)).toBe(1);
    expect(started(follower)).toBe(0);

    leader.stop.abort();
    await leader.done;
    await createPod('second');
    expect(await bound('second')).toBe('n1');
    expect(started(follower)).toBe(1);
  } finally {
    a.stop.abort();
    b.stop.abort();
    await Promise.all([a.done, b.done]);
  }
});
