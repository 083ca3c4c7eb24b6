import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { ApiClient, loadKubeconfig } from '../../../client/index.js';
import { startControllerManager } from '../../../control-plane/controllers/controller-manager.js';
import { nodeLifecycleEntry } from '../../../control-plane/controllers/node-lifecycle-controller.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';
import { res, until } from './harness.js';

type NodeObject = Node & KubeObject;
const NODES = res('nodes');
const PODS = res('pods');
const LEASES = res('leases', 'coordination.k8s.io');
const RATE_INTERVAL_MS = 4000;

let server: TestServer;
let api: ApiClient;
const stop = new AbortController();
let running: Promise<void>;
/** Nodes whose "kubelet" renews the Lease. */
const alive = new Set<string>();
let heartbeat: ReturnType<typeof setInterval>;

const now = () => new Date().toISOString();
const seconds = () => now().replace(/\.\d+Z$/, 'Z');

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'zones-test', qps: 0 });
  running = startControllerManager({
    api,
    log: pino({ level: process.env.SKIFF_TEST_LOG ?? 'silent' }),
    signal: stop.signal,
    entries: [
      nodeLifecycleEntry({
        gracePeriodMs: 2000,
        monitorPeriodMs: 300,
        zoneLimits: { evictionRate: 1000 / RATE_INTERVAL_MS },
      }),
    ],
  });
  heartbeat = setInterval(() => {
    for (const name of alive) void renew(name).catch(() => {});
  }, 400);
});

afterAll(async () => {
  clearInterval(heartbeat);
  stop.abort();
  await running?.catch(() => {});
  await api?.close();
  await server?.stop();
});

async function renew(name: string): Promise<void> {
  const lease = await api.get(LEASES, name, { namespace: 'kube-node-lease' });
  await api.update(LEASES, { ...lease, spec: { ...(lease.spec as object), renewTime: now() } });
}

async function setReady(name: string, ready: boolean): Promise<void> {
  const t = seconds();
  await until(async () => {
    const node = await api.get<NodeObject>(NODES, name);
    const condition = {
      type: 'Ready',
      status: ready ? 'True' : 'False',
      reason: ready ? 'KubeletReady' : 'KubeletNotReady',
      lastHeartbeatTime: t,
      lastTransitionTime: t,
    };
    await api.updateStatus(NODES, { ...node, status: { conditions: [condition] } });
    return true;
  }, `status of ${name}`);
}

/** A hollow node in a zone, its kubelet alive and reporting `ready`. */
async function hollowNode(name: string, zone: string, ready: boolean): Promise<void> {
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name,
      labels: { 'topology.kubernetes.io/region': 'test', 'topology.kubernetes.io/zone': zone },
    },
  });
  await setReady(name, ready);
  await api.create(
    LEASES,
    {
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now() },
    } as KubeObject,
    { namespace: 'kube-node-lease' },
  );
  alive.add(name);
}

async function podOn(node: string, tolerationSeconds: number): Promise<string> {
  const name = `pod-${node}`;
  const toleration = (key: string) => ({ key, operator: 'Exists', effect: 'NoExecute', tolerationSeconds });
  await api.create(
    PODS,
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name },
      spec: {
        nodeName: node,
        tolerations: [
          toleration('node.kubernetes.io/unreachable'),
          toleration('node.kubernetes.io/not-ready'),
        ],
        containers: [{ name: 'app', image: 'busybox' }],
      },
    } as KubeObject,
    { namespace: 'default' },
  );
  return name;
}

async function evicted(pod: string): Promise<boolean> {
  try {
    return !!(await api.get<Pod & KubeObject>(PODS, pod, { namespace: 'default' })).metadata
      .deletionTimestamp;
  } catch (e) {
    return isStatusError(e, 'NotFound');
  }
}

async function taints(node: string): Promise<string[]> {
  const n = await api.get<NodeObject>(NODES, node);
  return (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`);
}

const noExecute = async (node: string) => (await taints(node)).some((t) => t.endsWith(':NoExecute'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('node lifecycle zones', () => {
  it('paces NoExecute taints in a healthy zone at the eviction rate', async () => {
    for (const n of ['a1', 'a2', 'a3', 'a4', 'a5']) await hollowNode(n, 'a', true);
    await podOn('a1', 0);
    await podOn('a2', 0);
    await Promise.all([setReady('a1', false), setReady('a2', false)]);
    const tainted = new Map<string, number>();
    await until(
      async () => {
        for (const n of ['a1', 'a2']) if (!tainted.has(n) && (await noExecute(n))) tainted.set(n, Date.now());
        return tainted.size === 2;
      },
      'both not-ready nodes tainted',
      15_000,
    );
    const [first, second] = [...tainted.values()].sort((x, y) => x - y);
    expect((second ?? 0) - (first ?? 0)).toBeGreaterThanOrEqual(RATE_INTERVAL_MS - 1000);
    expect(await taints('a1')).toContain('node.kubernetes.io/not-ready:NoExecute');
    await until(async () => (await evicted('pod-a1')) && (await evicted('pod-a2')), 'pods evicted');
  });

  it('adds no NoExecute taint in a small partially disrupted zone', async () => {
    for (const n of ['b1', 'b2', 'b3']) await hollowNode(n, 'b', false);
    await hollowNode('b4', 'b', true);
    for (const n of ['b1', 'b2', 'b3']) await podOn(n, 0);
    await until(
      async () => (await taints('b3')).includes('node.kubernetes.io/not-ready:NoSchedule'),
      'NoSchedule taint',
    );
    await sleep(2500);
    for (const n of ['b1', 'b2', 'b3']) {
      expect(await noExecute(n)).toBe(false);
      expect(await evicted(`pod-${n}`)).toBe(false);
    }
  });

  it('evicts nothing in a fully disrupted zone while other zones are healthy', async () => {
    await hollowNode('c1', 'c', true);
    await hollowNode('c2', 'c', true);
    await podOn('c1', 5);
    await podOn('c2', 5);
    alive.delete('c1');
    alive.delete('c2');
    await until(async () => {
      const nodes = await Promise.all(['c1', 'c2'].map((n) => api.get<NodeObject>(NODES, n)));
      return nodes.every((n) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status === 'Unknown');
    }, 'zone c unknown');
    await sleep(6000);
    for (const n of ['c1', 'c2']) {
      expect(await noExecute(n)).toBe(false);
      expect(await taints(n)).toContain('node.kubernetes.io/unreachable:NoSchedule');
      expect(await evicted(`pod-${n}`)).toBe(false);
    }
  });

  it('takes every NoExecute taint off and evicts nothing when all zones are fully disrupted', async () => {
    await podOn('a3', 5);
    expect(await noExecute('a1')).toBe(true);
    alive.clear();
    await until(
      async () => {
        const nodes = (await api.list<NodeObject>(NODES)).items;
        const down = nodes.every(
          (n) => n.status?.conditions?.find((x) => x.type === 'Ready')?.status !== 'True',
        );
        const clear = nodes.every((n) => !(n.spec?.taints ?? []).some((t) => t.effect === 'NoExecute'));
        return down && clear;
      },
      'all nodes down, no NoExecute taint left',
      15_000,
    );
    await sleep(5500);
    expect(await evicted('pod-a3')).toBe(false);
    expect(await evicted('pod-b1')).toBe(false);
  });
});
