import type { Event, Node, Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseQuantity } from '../../../api/quantity.js';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient } from '../../../client/rest-client.js';
import { startScheduler } from '../../../control-plane/scheduler/run.js';
import { until } from '../../support/eventually.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const res = (plural: string) => {
  const r = RESOURCES.find((d) => d.plural === plural && (d.group === '' || plural === 'leases'));
  if (!r) throw new Error(plural);
  return r;
};
const PODS = res('pods');
const NODES = res('nodes');
const NAMESPACES = res('namespaces');
const EVENTS = res('events');

let server: TestServer;
let api: ApiClient;
const stop = new AbortController();
let running: Promise<void>;

async function createNode(
  name: string,
  opts: { cpu: string; memory?: string; pods?: number; labels?: Record<string, string>; taints?: unknown[] },
): Promise<void> {
  const alloc = { cpu: opts.cpu, memory: opts.memory ?? '8Gi', pods: String(opts.pods ?? 110) };
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: { 'kubernetes.io/hostname': name, ...opts.labels } },
    spec: { taints: opts.taints },
    status: {
      allocatable: alloc,
      capacity: alloc,
      conditions: [{ type: 'Ready', status: 'True' }],
    },
  } as Node);
}

async function createNamespace(name: string): Promise<void> {
  await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function createPod(
  ns: string,
  name: string,
  spec: Partial<NonNullable<Pod['spec']>> & { cpu?: string },
) {
  const { cpu, ...rest } = spec;
  await api.create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name, namespace: ns },
      spec: {
        containers: [{ name: 'c', image: 'busybox', resources: cpu ? { requests: { cpu } } : undefined }],
        ...rest,
      },
    } as Pod,
    { namespace: ns },
  );
}

async function getPod(ns: string, name: string): Promise<Pod> {
  return api.get<Pod>(PODS, name, { namespace: ns });
}

async function boundNode(ns: string, name: string): Promise<string> {
  return until(async () => (await getPod(ns, name)).spec?.nodeName || undefined);
}

async function events(ns: string, reason: string): Promise<Event[]> {
  const list = await api.list<Event>(EVENTS, { namespace: ns });
  return list.items.filter((e) => e.reason === reason);
}

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'scheduler-test', qps: 0 });
  await createNode('small', { cpu: '1', labels: { size: 'small' } });
  await createNode('big', { cpu: '4', labels: { size: 'big' } });
  await createNode('gpu', {
    cpu: '8',
    labels: { size: 'huge', accelerator: 'gpu' },
    taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }],
  });
  running = startScheduler({ api, log: pino({ level: 'silent' }), signal: stop.signal });
});

afterAll(async () => {
  stop.abort();
  await running;
  await api?.close();
  await server?.stop();
});

describe('scheduler against a real skiff server', () => {
  it('binds pods to nodes that fit their resources, taints and selectors, with a Scheduled event', async () => {
    await createNamespace('fit');
    await createPod('fit', 'needs-2-cpu', { cpu: '2' });
    await createPod('fit', 'wants-gpu', {
      nodeSelector: { accelerator: 'gpu' },
      tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }],
    });
    await createPod('fit', 'wants-small', { nodeSelector: { size: 'small' } });
    await createPod('fit', 'required-affinity', {
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: {
            nodeSelectorTerms: [{ matchExpressions: [{ key: 'size', operator: 'In', values: ['big'] }] }],
          },
        },
      },
    });
    expect(await boundNode('fit', 'needs-2-cpu')).toBe('big');
    expect(await boundNode('fit', 'wants-gpu')).toBe('gpu');
    expect(await boundNode('fit', 'wants-small')).toBe('small');
    expect(await boundNode('fit', 'required-affinity')).toBe('big');
    const scheduled = await until(async () => {
      const evs = await events('fit', 'Scheduled');
      return evs.length >= 4 ? evs : undefined;
    });
    expect(scheduled.map((e) => e.message)).toContain('Successfully assigned fit/needs-2-cpu to big');
    const pod = await getPod('fit', 'needs-2-cpu');
    expect(pod.status?.conditions?.find((c) => c.type === 'PodScheduled')?.status).toBe('True');
  });

  it('leaves a pod that fits nowhere Pending with a readable reason, then binds it when a big node appears', async () => {
    await createNamespace('pending');
    await createPod('pending', 'huge', { cpu: '16' });
    const condition = await until(async () => {
      const c = (await getPod('pending', 'huge')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.status === 'False' ? c : undefined;
    });
    expect(condition.reason).toBe('Unschedulable');
    expect(condition.message).toBe(
      '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, ' +
        '2 No preemption victims found for incoming pod.',
    );
    const failed = await until(async () => {
      const evs = await events('pending', 'FailedScheduling');
      return evs.length > 0 ? evs : undefined;
    });
    expect(failed[0].type).toBe('Warning');
    expect(failed[0].message).toBe(condition.message);
    // Parked, not retried in a loop: the condition is written once.
    const before = (await getPod('pending', 'huge')).metadata?.resourceVersion;
    await new Promise((r) => setTimeout(r, 2500));
    const after = await getPod('pending', 'huge');
    expect(after.metadata?.resourceVersion).toBe(before);
    expect(after.spec?.nodeName).toBeFalsy();

    await createNode('giant', { cpu: '32', labels: { size: 'giant' } });
    expect(await boundNode('pending', 'huge')).toBe('giant');
  });

  it('never overcommits two small nodes in a burst of 20 pods', async () => {
    await createNamespace('burst');
    await createNode('tiny-1', { cpu: '1', labels: { pool: 'tiny' } });
    await createNode('tiny-2', { cpu: '1', labels: { pool: 'tiny' } });
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        createPod('burst', `p${i}`, { cpu: '300m', nodeSelector: { pool: 'tiny' } }),
      ),
    );
    // 3 pods of 300m fit on each 1-cpu node: 6 bound, 14 pending.
    const bound = await until(async () => {
      const list = await api.list<Pod>(PODS, { namespace: 'burst' });
      const b = list.items.filter((p) => p.spec?.nodeName);
      const unschedulable = list.items.filter((p) =>
        p.status?.conditions?.some((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable'),
      );
      return b.length + unschedulable.length === 20 ? b : undefined;
    });
    expect(bound.length).toBe(6);
    for (const node of ['tiny-1', 'tiny-2']) {
      const milli = bound
        .filter((p) => p.spec?.nodeName === node)
        .reduce(
          (sum, p) => sum + parseQuantity(p.spec?.containers[0].resources?.requests?.cpu ?? '0').milliValue(),
          0,
        );
      expect(milli).toBeLessThanOrEqual(1000);
    }
    // Deleting a bound pod makes room for exactly one more.
    const victim = bound[0].metadata?.name ?? '';
    await api.delete(PODS, victim, { namespace: 'burst', gracePeriodSeconds: 0 });
    await until(async () => {
      const list = await api.list<Pod>(PODS, { namespace: 'burst' });
      return list.items.some((p) => p.metadata?.name === victim) ? undefined : true;
    });
    await until(async () => {
      const list = await api.list<Pod>(PODS, { namespace: 'burst' });
      return list.items.filter((p) => p.spec?.nodeName).length === 6 ? true : undefined;
    });
    await new Promise((r) => setTimeout(r, 1000));
    const final = await api.list<Pod>(PODS, { namespace: 'burst' });
    expect(final.items.filter((p) => p.spec?.nodeName).length).toBe(6);
  });

  it('counts a finished pod as gone and gives its room to a waiting pod', async () => {
    await createNamespace('finish');
    await createNode('solo', { cpu: '1', labels: { pool: 'solo' } });
    await createPod('finish', 'runner', { cpu: '800m', nodeSelector: { pool: 'solo' } });
    expect(await boundNode('finish', 'runner')).toBe('solo');
    await createPod('finish', 'waiter', { cpu: '800m', nodeSelector: { pool: 'solo' } });
    await until(async () => {
      const c = (await getPod('finish', 'waiter')).status?.conditions?.find((x) => x.type === 'PodScheduled');
      return c?.reason === 'Unschedulable' ? true : undefined;
    });
    const runner = await getPod('finish', 'runner');
    await api.updateStatus(PODS, { ...runner, status: { ...runner.status, phase: 'Succeeded' } } as Pod, {
      namespace: 'finish',
    });
    expect(await boundNode('finish', 'waiter')).toBe('solo');
  });
});
