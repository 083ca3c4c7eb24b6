import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient } from '../../../client/rest-client.js';
import { startScheduler } from '../../../control-plane/scheduler/run.js';
import { until } from '../../support/eventually.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const res = (plural: string, group = '') => {
  const r = RESOURCES.find((d) => d.plural === plural && d.group === group);
  if (!r) throw new Error(plural);
  return r;
};
const PODS = res('pods');
const NODES = res('nodes');
const NAMESPACES = res('namespaces');
const EVENTS = res('events');
const PRIORITY_CLASSES = res('priorityclasses', 'scheduling.k8s.io');

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

let server: TestServer;
let api: ApiClient;
const stop = new AbortController();
let running: Promise<void>;

async function createNode(name: string, cpu: string, labels: Record<string, string>): Promise<void> {
  const alloc = { cpu, memory: '8Gi', pods: '110' };
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { [HOST]: name, ...labels } },
    status: { allocatable: alloc, capacity: alloc, conditions: [{ type: 'Ready', status: 'True' }] },
  } as Node);
}

async function createPod(
  ns: string,
  name: string,
  labels: Record<string, string>,
  spec: Partial<NonNullable<Pod['spec']>>,
  cpu = '100m',
): Promise<void> {
  await api.create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns, labels },
      spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu } } }], ...spec },
    } as Pod,
    { namespace: ns },
  );
}

const getPod = (ns: string, name: string) => api.get<Pod>(PODS, name, { namespace: ns });
const boundNode = (ns: string, name: string) =>
  until(async () => (await getPod(ns, name)).spec?.nodeName || undefined);
const unschedulableMessage = (ns: string, name: string) =>
  until(async () => {
    const c = (await getPod(ns, name)).status?.conditions?.find((x) => x.type === 'PodScheduled');
    return c?.reason === 'Unschedulable' ? c.message : undefined;
  });

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'placement-test', qps: 0 });
  for (const ns of ['anti', 'spread', 'preempt'])
    await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
  running = startScheduler({ api, log: pino({ level: 'silent' }), signal: stop.signal });
});

afterAll(async () => {
  stop.abort();
  await running;
  await api?.close();
  await server?.stop();
});

describe('inter-pod affinity, topology spread and preemption against a real skiff server', () => {
  it('keeps replicas with required anti-affinity on distinct nodes and follows required affinity', async () => {
    for (const n of ['anti-1', 'anti-2', 'anti-3']) await createNode(n, '4', { pool: 'anti' });
    const antiWeb: Partial<NonNullable<Pod['spec']>> = {
      nodeSelector: { pool: 'anti' },
      affinity: {
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [
            { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: HOST },
          ],
        },
      },
    };
    await Promise.all([0, 1, 2, 3].map((i) => createPod('anti', `web-${i}`, { app: 'web' }, antiWeb)));
    const placed = new Set<string>();
    let pending = '';
    for (let i = 0; i < 4; i++) {
      const pod = await until(async () => {
        const p = await getPod('anti', `web-${i}`);
        const unsched = p.status?.conditions?.some((c) => c.reason === 'Unschedulable');
        return p.spec?.nodeName || unsched ? p : undefined;
      });
      if (pod.spec?.nodeName) placed.add(pod.spec.nodeName);
      else pending = `web-${i}`;
    }
    expect([...placed].sort()).toEqual(['anti-1', 'anti-2', 'anti-3']);
    expect(await unschedulableMessage('anti', pending)).toContain(
      "3 node(s) didn't match pod anti-affinity rules",
    );

    await createPod(
      'anti',
      'sidecar',
      { app: 'sidecar' },
      {
        nodeSelector: { pool: 'anti' },
        affinity: {
          podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'web' } }, topologyKey: HOST },
            ],
          },
        },
      },
    );
    expect(placed.has(await boundNode('anti', 'sidecar'))).toBe(true);
  });

  it('spreads pods evenly over zones with a DoNotSchedule constraint, against least-allocated scoring', async () => {
    // Zone a is far roomier, so without the constraint every pod would go there.
    await createNode('spread-a1', '32', { pool: 'spread', [ZONE]: 'a' });
    await createNode('spread-a2', '32', { pool: 'spread', [ZONE]: 'a' });
    await createNode('spread-b1', '2', { pool: 'spread', [ZONE]: 'b' });
    const spec: Partial<NonNullable<Pod['spec']>> = {
      nodeSelector: { pool: 'spread' },
      topologySpreadConstraints: [
        {
          maxSkew: 1,
          topologyKey: ZONE,
          whenUnsatisfiable: 'DoNotSchedule',
          labelSelector: { matchLabels: { app: 'spread' } },
        },
      ],
    };
    await Promise.all(
      Array.from({ length: 6 }, (_, i) => createPod('spread', `s-${i}`, { app: 'spread' }, spec)),
    );
    const zones: Record<string, number> = {};
    for (let i = 0; i < 6; i++) {
      const node = await boundNode('spread', `s-${i}`);
      const z = node.startsWith('spread-a') ? 'a' : 'b';
      zones[z] = (zones[z] ?? 0) + 1;
    }
    expect(zones).toEqual({ a: 3, b: 3 });
  });

  it('lets a pod of a higher PriorityClass preempt a lower-priority pod and land on its node', async () => {
    await api.create(PRIORITY_CLASSES, {
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'important' },
      value: 1000,
    });
    await createNode('preempt-1', '1', { pool: 'preempt' });
    await createPod('preempt', 'low', { app: 'low' }, { nodeSelector: { pool: 'preempt' } }, '800m');
    expect(await boundNode('preempt', 'low')).toBe('preempt-1');
    const lowUid = (await getPod('preempt', 'low')).metadata?.uid;

    await createPod(
      'preempt',
      'high',
      { app: 'high' },
      { nodeSelector: { pool: 'preempt' }, priorityClassName: 'important' },
      '800m',
    );
    const nominated = await until(async () => (await getPod('preempt', 'high')).status?.nominatedNodeName);
    expect(nominated).toBe('preempt-1');
    // The victim is deleted gracefully, marked as a disruption target, with a Preempted event.
    const victim = await until(async () => {
      const p = await getPod('preempt', 'low');
      return p.metadata?.deletionTimestamp ? p : undefined;
    });
    expect(victim.status?.conditions?.find((c) => c.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'PreemptionByScheduler',
    });
    const preempted = await until(async () => {
      const list = await api.list<Event>(EVENTS, { namespace: 'preempt' });
      return list.items.find((e) => e.reason === 'Preempted');
    });
    expect(preempted.involvedObject.name).toBe('low');
    expect(preempted.message).toMatch(/^Preempted by pod .+ on node preempt-1$/);
    // A lower-priority newcomer must not take the room kept for the nominated pod.
    await createPod('preempt', 'latecomer', { app: 'late' }, { nodeSelector: { pool: 'preempt' } }, '800m');
    // No kubelet runs here: finish the graceful deletion as the kubelet would.
    await api.delete(PODS, 'low', {
      namespace: 'preempt',
      gracePeriodSeconds: 0,
      preconditions: { uid: lowUid },
    });
    expect(await boundNode('preempt', 'high')).toBe('preempt-1');
    const late = await getPod('preempt', 'latecomer');
    expect(late.spec?.nodeName).toBeFalsy();
  });
});
