import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Job } from 'kubernetes-types/batch/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { Informer } from '../../../client/index.js';
import { kubectlFor } from '../../support/kubectl.js';
import { type Cluster, type PodObject, podsOf, podTemplate, res, startCluster, until } from './harness.js';

type RS = ReplicaSet & KubeObject;
let c: Cluster;
let kubectl: ReturnType<typeof kubectlFor>;

beforeAll(async () => {
  c = await startCluster();
  kubectl = kubectlFor(c.server.kubeconfig);
});
afterAll(async () => {
  await c?.stop();
});

const gone = async (p: Promise<unknown>): Promise<boolean> =>
  p.then(
    () => false,
    (e) => isStatusError(e, 'NotFound'),
  );

function rs(name: string, replicas: number, nodeName?: string): RS {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: podTemplate({ app: name }, nodeName),
    },
  } as RS;
}

async function namespace(name: string): Promise<void> {
  await c.api.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

describe('serviceaccount controller', () => {
  it('creates the default service account in new namespaces and recreates it', async () => {
    await namespace('sa-test');
    await until(() => c.api.get(res('serviceaccounts'), 'default', { namespace: 'sa-test' }), 'default SA');
    await c.api.delete(res('serviceaccounts'), 'default', { namespace: 'sa-test' });
    const again = await until(
      () => c.api.get(res('serviceaccounts'), 'default', { namespace: 'sa-test' }),
      'default SA again',
    );
    expect(again.metadata.name).toBe('default');
    await until(
      () => c.api.get(res('serviceaccounts'), 'default', { namespace: 'default' }),
      'default SA in default',
    );
  });
});

describe('namespace controller', () => {
  it('deletes the content, then the namespace (kubectl delete ns returns)', async () => {
    await namespace('doomed');
    await c.api.create(res('configmaps'), { metadata: { name: 'cm' }, data: { a: '1' } } as KubeObject, {
      namespace: 'doomed',
    });
    await c.api.create(res('replicasets', 'apps'), rs('r', 2, 'node-1'), { namespace: 'doomed' });
    await c.api.create(res('replicasets', 'apps'), rs('unbound', 1), { namespace: 'doomed' });
    await until(async () => (await podsOf(c.api, 'doomed', 'app')).length === 3, 'pods in doomed');
    const out = await kubectl(['delete', 'ns', 'doomed', '--timeout=60s'], undefined, 60_000);
    expect(out.stderr).toBe('');
    expect(out.code).toBe(0);
    expect(await gone(c.api.get(res('namespaces'), 'doomed'))).toBe(true);
    expect((await c.api.list(res('configmaps'), { namespace: 'doomed' })).items).toHaveLength(0);
    expect((await c.api.list(res('pods'), { namespace: 'doomed' })).items).toHaveLength(0);
  });

  it('reports remaining content in the namespace conditions', async () => {
    await namespace('stuck');
    await c.api.create(
      res('configmaps'),
      { metadata: { name: 'held', finalizers: ['example.com/hold'] }, data: {} } as KubeObject,
      { namespace: 'stuck' },
    );
    await c.api.delete(res('namespaces'), 'stuck');
    const ns = await until(async () => {
      const n = await c.api.get(res('namespaces'), 'stuck');
      const conds =
        (n.status as { conditions?: { type: string; status: string; message?: string }[] }).conditions ?? [];
      return conds.find((x) => x.type === 'NamespaceFinalizersRemaining' && x.status === 'True')
        ? conds
        : undefined;
    }, 'finalizers-remaining condition');
    expect(ns.find((x) => x.type === 'NamespaceContentRemaining')?.message).toContain(
      'configmaps. has 1 resource instances',
    );
    // Drop the finalizer: the namespace goes.
    await c.api.patch(res('configmaps'), 'held', { metadata: { finalizers: null } }, 'merge', {
      namespace: 'stuck',
    });
    await until(() => gone(c.api.get(res('namespaces'), 'stuck')), 'namespace gone');
  });
});

describe('garbage collector', () => {
  it('background: deleting the owner deletes its dependents', async () => {
    await c.api.create(res('replicasets', 'apps'), rs('bg', 2), { namespace: 'default' });
    await until(async () => (await podsOf(c.api, 'default', 'app=bg')).length === 2, 'bg pods');
    const out = await kubectl(['delete', 'rs', 'bg', '--cascade=background']);
    expect(out.code).toBe(0);
    await until(async () => (await podsOf(c.api, 'default', 'app=bg')).length === 0, 'bg pods gone');
  });

  it('foreground: dependents go first, then the owner', async () => {
    await c.api.create(res('replicasets', 'apps'), rs('fg', 2, 'node-1'), { namespace: 'default' });
    await until(async () => (await podsOf(c.api, 'default', 'app=fg')).length === 2, 'fg pods');
    const out = await kubectl(
      ['delete', 'rs', 'fg', '--cascade=foreground', '--timeout=30s'],
      undefined,
      40_000,
    );
    expect(out.code).toBe(0);
    await until(
      () => gone(c.api.get(res('replicasets', 'apps'), 'fg', { namespace: 'default' })),
      'fg owner gone',
    );
    expect(await podsOf(c.api, 'default', 'app=fg')).toHaveLength(0);
  });

  it('orphan: dependents stay without the owner reference', async () => {
    await c.api.create(res('replicasets', 'apps'), rs('or', 2), { namespace: 'default' });
    await until(async () => (await podsOf(c.api, 'default', 'app=or')).length === 2, 'orphan pods');
    const out = await kubectl(['delete', 'rs', 'or', '--cascade=orphan']);
    expect(out.code).toBe(0);
    await until(
      () => gone(c.api.get(res('replicasets', 'apps'), 'or', { namespace: 'default' })),
      'owner gone',
    );
    const pods = await podsOf(c.api, 'default', 'app=or');
    expect(pods).toHaveLength(2);
    for (const p of pods) expect(p.metadata.ownerReferences ?? []).toHaveLength(0);
  });

  it('deletes an object whose owner does not exist', async () => {
    await c.api.create(
      res('configmaps'),
      {
        metadata: {
          name: 'dangling',
          ownerReferences: [
            {
              apiVersion: 'v1',
              kind: 'ConfigMap',
              name: 'nobody',
              uid: '00000000-0000-0000-0000-000000000001',
            },
          ],
        },
      } as KubeObject,
      { namespace: 'default' },
    );
    await until(
      () => gone(c.api.get(res('configmaps'), 'dangling', { namespace: 'default' })),
      'dangling deleted',
    );
  });
});

type JobObject = Job & KubeObject;
const JOBS = res('jobs', 'batch');

function job(name: string, spec: Partial<Job['spec']>): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: { job: name } },
        spec: { nodeName: 'node-1', restartPolicy: 'Never', containers: [{ name: 'app', image: 'busybox' }] },
      },
      ...spec,
    },
  } as JobObject;
}

describe('job controller', () => {
  it('runs completions with at most parallelism pods and completes', async () => {
    let maxActive = 0;
    const watcher = new Informer<PodObject>(c.api, res('pods'), {
      namespace: 'default',
      labelSelector: 'job=ok',
    });
    const observe = (): void => {
      const running = watcher.store
        .list()
        .filter((p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? ''));
      maxActive = Math.max(maxActive, running.length);
    };
    watcher.addEventHandler({ onAdd: observe, onUpdate: observe });
    const stop = new AbortController();
    void watcher.start(stop.signal);
    await watcher.waitForSync();
    // Each pod runs for half a second, so that two of them run side by side.
    const seen = new Map<string, number>();
    c.kubelet.outcome = (p) => {
      if (p.metadata.labels?.job !== 'ok') return 'run';
      const uid = p.metadata.uid ?? '';
      if (!seen.has(uid)) seen.set(uid, Date.now());
      return Date.now() - (seen.get(uid) ?? 0) > 500 ? 'succeed' : 'run';
    };
    const ticker = setInterval(() => c.kubelet.resync(), 100);
    await c.api.create(JOBS, job('ok', { completions: 3, parallelism: 2 }), { namespace: 'default' });
    const out = await kubectl(
      ['wait', '--for=condition=complete', 'job/ok', '--timeout=30s'],
      undefined,
      35_000,
    );
    clearInterval(ticker);
    stop.abort();
    expect(maxActive).toBe(2);
    expect(out.code).toBe(0);
    const j = await c.api.get<JobObject>(JOBS, 'ok', { namespace: 'default' });
    expect(j.status).toMatchObject({ succeeded: 3, active: 0 });
    expect(j.status?.completionTime).toBeTruthy();
    expect(j.status?.uncountedTerminatedPods?.succeeded ?? []).toHaveLength(0);
    const pods = await until(async () => {
      const ps = await podsOf(c.api, 'default', 'job=ok');
      return ps.every((p) => !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking'))
        ? ps
        : undefined;
    }, 'tracking finalizers released');
    expect(pods).toHaveLength(3);
  });

  it('Indexed: one pod per completion index, completedIndexes in the status', async () => {
    c.kubelet.outcome = (p) => (p.metadata.labels?.job === 'idx' ? 'succeed' : 'run');
    await c.api.create(JOBS, job('idx', { completions: 3, parallelism: 3, completionMode: 'Indexed' }), {
      namespace: 'default',
    });
    const out = await kubectl(
      ['wait', '--for=condition=complete', 'job/idx', '--timeout=30s'],
      undefined,
      35_000,
    );
    expect(out.code).toBe(0);
    const j = await c.api.get<JobObject>(JOBS, 'idx', { namespace: 'default' });
    expect(j.status).toMatchObject({ succeeded: 3, completedIndexes: '0-2' });
    const pods = await podsOf(c.api, 'default', 'job=idx');
    const indexes = pods
      .map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'])
      .sort();
    expect(indexes).toEqual(['0', '1', '2']);
    for (const p of pods) {
      const i = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
      expect(p.spec?.hostname).toBe(`idx-${i}`);
      expect(p.spec?.containers[0].env?.[0]?.name).toBe('JOB_COMPLETION_INDEX');
    }
  });

  it('fails after backoffLimit failed pods', async () => {
    c.kubelet.outcome = (p) => (p.metadata.labels?.job === 'bad' ? 'fail' : 'run');
    await c.api.create(JOBS, job('bad', { backoffLimit: 1 }), { namespace: 'default' });
    const out = await kubectl(
      ['wait', '--for=condition=failed', 'job/bad', '--timeout=30s'],
      undefined,
      35_000,
    );
    expect(out.code).toBe(0);
    const j = await c.api.get<JobObject>(JOBS, 'bad', { namespace: 'default' });
    expect(j.status?.failed).toBe(2);
    expect(j.status?.conditions?.find((x) => x.type === 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });

  it('fails at activeDeadlineSeconds and deletes the running pods; ttl removes finished jobs', async () => {
    c.kubelet.outcome = () => 'run';
    await c.api.create(JOBS, job('slow', { activeDeadlineSeconds: 1, ttlSecondsAfterFinished: 1 }), {
      namespace: 'default',
    });
    await until(
      async () => {
        const j = await c.api.get<JobObject>(JOBS, 'slow', { namespace: 'default' });
        return j.status?.conditions?.find((x) => x.type === 'Failed')?.reason === 'DeadlineExceeded';
      },
      'deadline exceeded',
      15_000,
    );
    await until(
      async () => (await podsOf(c.api, 'default', 'job=slow')).length === 0,
      'pods deleted',
      15_000,
    );
    await until(
      () => gone(c.api.get(JOBS, 'slow', { namespace: 'default' })),
      'job removed after its TTL',
      15_000,
    );
  });
});

const LEASES = res('leases', 'coordination.k8s.io');
const now = () => new Date().toISOString();

type Condition = { type: string; status: string; reason?: string };
const RESOURCES_OF_NODE = { cpu: '4', memory: '8Gi', pods: '110' };

/** Writes the node's conditions (Ready True unless given), retrying on conflicts with other writers. */
async function setConditions(name: string, conditions: Condition[] = []): Promise<void> {
  const t = now().replace(/\.\d+Z$/, 'Z');
  const all = [
    ...(conditions.some((x) => x.type === 'Ready')
      ? []
      : [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }]),
    ...conditions,
  ].map((x) => ({ ...x, lastHeartbeatTime: t, lastTransitionTime: t }));
  await until(async () => {
    const node = await c.api.get(res('nodes'), name);
    const status = { conditions: all, capacity: RESOURCES_OF_NODE, allocatable: RESOURCES_OF_NODE };
    await c.api.updateStatus(res('nodes'), { ...node, status });
    return true;
  }, `status of node ${name}`);
}

async function hollowNode(name: string, labels: Record<string, string> = {}): Promise<void> {
  await c.api.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name, labels } });
  // Other controllers (IPAM) write the node too: setConditions retries on the latest version.
  await setConditions(name);
  await c.api.create(
    LEASES,
    {
      metadata: { name },
      spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: now() },
    } as KubeObject,
    { namespace: 'kube-node-lease' },
  );
}

async function renew(name: string): Promise<void> {
  const lease = await c.api.get(LEASES, name, { namespace: 'kube-node-lease' });
  await c.api.update(LEASES, { ...lease, spec: { ...(lease.spec as object), renewTime: now() } });
}

describe('node lifecycle controller', () => {
  it('marks a silent node Unknown, taints it and evicts pods after their toleration', async () => {
    await hollowNode('node-a');
    await hollowNode('node-b');
    const heartbeat = setInterval(() => void renew('node-b').catch(() => {}), 500);
    try {
      const pod = (name: string, tolerations: unknown[]) =>
        ({
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { evict: 'test' } },
          spec: { nodeName: 'node-a', tolerations, containers: [{ name: 'app', image: 'busybox' }] },
        }) as KubeObject;
      await c.api.create(
        res('pods'),
        pod('evictee', [
          {
            key: 'node.kubernetes.io/unreachable',
            operator: 'Exists',
            effect: 'NoExecute',
            tolerationSeconds: 1,
          },
        ]),
        { namespace: 'default' },
      );
      await c.api.create(res('pods'), pod('stayer', [{ operator: 'Exists' }]), { namespace: 'default' });
      type N = KubeObject & {
        spec?: { taints?: { key: string; effect: string }[] };
        status?: { conditions?: { type: string; status: string; reason?: string }[] };
      };
      const tainted = await until(
        async () => {
          const n = await c.api.get<N>(res('nodes'), 'node-a');
          const unreachable = (n.spec?.taints ?? []).some(
            (t) => t.key === 'node.kubernetes.io/unreachable' && t.effect === 'NoExecute',
          );
          return unreachable ? n : undefined;
        },
        'unreachable taint',
        20_000,
      );
      expect(tainted.status?.conditions?.find((x) => x.type === 'Ready')).toMatchObject({
        status: 'Unknown',
        reason: 'NodeStatusUnknown',
      });
      await until(
        () => gone(c.api.get(res('pods'), 'evictee', { namespace: 'default' })),
        'evicted pod',
        15_000,
      );
      expect(
        (await c.api.get(res('pods'), 'stayer', { namespace: 'default' })).metadata.deletionTimestamp,
      ).toBeUndefined();
      const b = await c.api.get<N>(res('nodes'), 'node-b');
      expect(b.status?.conditions?.find((x) => x.type === 'Ready')?.status).toBe('True');
      expect(b.spec?.taints ?? []).toHaveLength(0);
    } finally {
      clearInterval(heartbeat);
    }
  });
});

type TaintedNode = KubeObject & {
  spec?: { unschedulable?: boolean; taints?: { key: string; effect: string; value?: string }[] };
};

/** The node's taints as sorted `key:effect` strings. */
async function taintsOf(name: string): Promise<string[]> {
  const n = await c.api.get<TaintedNode>(res('nodes'), name);
  return (n.spec?.taints ?? []).map((t) => `${t.key}:${t.effect}`).sort();
}

describe('node lifecycle controller: taints by condition', () => {
  it('adds and removes the NoSchedule condition taints as conditions and cordoning change', async () => {
    await hollowNode('cond-1');
    const heartbeat = setInterval(() => void renew('cond-1').catch(() => {}), 500);
    const has = (want: string[]) => async () => {
      const got = await taintsOf('cond-1');
      return got.join() === [...want].sort().join() ? got : undefined;
    };
    try {
      // A taint someone else owns, which the controller must leave alone throughout.
      await until(async () => {
        const n = await c.api.get<TaintedNode>(res('nodes'), 'cond-1');
        const taints = [...(n.spec?.taints ?? []), { key: 'dedicated', value: 'db', effect: 'NoSchedule' }];
        await c.api.update(res('nodes'), { ...n, spec: { ...(n.spec ?? {}), taints } });
        return true;
      }, 'foreign taint');
      await setConditions('cond-1', [
        { type: 'MemoryPressure', status: 'True' },
        { type: 'DiskPressure', status: 'True' },
        { type: 'PIDPressure', status: 'False' },
        { type: 'NetworkUnavailable', status: 'False' },
      ]);
      await until(
        has([
          'dedicated:NoSchedule',
          'node.kubernetes.io/memory-pressure:NoSchedule',
          'node.kubernetes.io/disk-pressure:NoSchedule',
        ]),
        'memory and disk pressure taints',
      );
      await setConditions('cond-1', [
        { type: 'MemoryPressure', status: 'False' },
        { type: 'DiskPressure', status: 'False' },
        { type: 'PIDPressure', status: 'True' },
        { type: 'NetworkUnavailable', status: 'True' },
      ]);
      await until(
        has([
          'dedicated:NoSchedule',
          'node.kubernetes.io/pid-pressure:NoSchedule',
          'node.kubernetes.io/network-unavailable:NoSchedule',
        ]),
        'pid pressure and network taints replace the memory and disk ones',
      );
      await setConditions('cond-1', [{ type: 'Ready', status: 'False', reason: 'KubeletNotReady' }]);
      const notReady = await until(async () => {
        const got = await taintsOf('cond-1');
        return got.includes('node.kubernetes.io/not-ready:NoSchedule') ? got : undefined;
      }, 'not-ready taint');
      expect(notReady).toContain('dedicated:NoSchedule');
      expect(notReady).not.toContain('node.kubernetes.io/pid-pressure:NoSchedule');

      await setConditions('cond-1', []);
      await until(has(['dedicated:NoSchedule']), 'condition taints gone on a healthy node');
      await c.api.patch(res('nodes'), 'cond-1', { spec: { unschedulable: true } }, 'merge');
      await until(has(['dedicated:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule']), 'cordoned');
      await c.api.patch(res('nodes'), 'cond-1', { spec: { unschedulable: false } }, 'merge');
      await until(has(['dedicated:NoSchedule']), 'uncordoned');
    } finally {
      clearInterval(heartbeat);
    }
  });
});

describe('node IPAM controller', () => {
  it('gives every node its own /24 from the cluster CIDR', async () => {
    await c.api.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ipam-1' } });
    await c.api.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'ipam-2' } });
    const cidrs = await until(async () => {
      const nodes = (await c.api.list<KubeObject & { spec?: { podCIDR?: string } }>(res('nodes'))).items;
      const all = nodes.map((n) => n.spec?.podCIDR);
      return all.every(Boolean) ? all : undefined;
    }, 'pod CIDRs on all nodes');
    expect(new Set(cidrs).size).toBe(cidrs.length);
    for (const cidr of cidrs) expect(cidr).toMatch(/^10\.244\.\d+\.0\/24$/);
  });
});

describe('daemonset controller', () => {
  const DAEMON_SETS = res('daemonsets', 'apps');
  type DS = KubeObject & {
    status?: { desiredNumberScheduled?: number; updatedNumberScheduled?: number; numberAvailable?: number };
  };
  // Daemon pods are bound by the default scheduler, as upstream: run one for these tests only.
  let stopScheduler: (() => Promise<void>) | undefined;
  beforeAll(() => {
    stopScheduler = c.startScheduler();
  });
  afterAll(async () => {
    await stopScheduler?.();
  });

  it('runs one pod per matching node, follows node labels and rolls out', async () => {
    await hollowNode('ds-1', { role: 'edge' });
    await hollowNode('ds-2');
    const heartbeat = setInterval(() => {
      void renew('ds-1').catch(() => {});
      void renew('ds-2').catch(() => {});
    }, 500);
    try {
      await c.api.create(
        DAEMON_SETS,
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'agent' },
          spec: {
            selector: { matchLabels: { app: 'agent' } },
            template: {
              metadata: { labels: { app: 'agent' } },
              spec: { nodeSelector: { role: 'edge' }, containers: [{ name: 'app', image: 'busybox' }] },
            },
          },
        } as KubeObject,
        { namespace: 'default' },
      );
      const nodesOf = async () =>
        (await podsOf(c.api, 'default', 'app=agent'))
          .filter((p) => !p.metadata.deletionTimestamp)
          .map((p) => p.spec?.nodeName)
          .sort();
      await until(async () => (await nodesOf()).join() === 'ds-1', 'pod on ds-1');
      await c.api.patch(res('nodes'), 'ds-2', { metadata: { labels: { role: 'edge' } } }, 'merge');
      await until(async () => (await nodesOf()).join() === 'ds-1,ds-2', 'pods on both nodes');
      expect(
        (await kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=30s'], undefined, 35_000)).code,
      ).toBe(0);

      await c.api.patch(
        DAEMON_SETS,
        'agent',
        { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } },
        'strategic',
        {
          namespace: 'default',
        },
      );
      const out = await kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=30s'], undefined, 35_000);
      expect(out.code).toBe(0);
      const pods = (await podsOf(c.api, 'default', 'app=agent')).filter((p) => !p.metadata.deletionTimestamp);
      expect(pods.map((p) => p.spec?.containers[0].image)).toEqual(['busybox:2', 'busybox:2']);
      const ds = await c.api.get<DS>(DAEMON_SETS, 'agent', { namespace: 'default' });
      expect(ds.status).toMatchObject({
        desiredNumberScheduled: 2,
        updatedNumberScheduled: 2,
        numberAvailable: 2,
      });

      const history = await kubectl(['rollout', 'history', 'daemonset/agent']);
      expect(history.code).toBe(0);
      expect(history.stdout).toMatch(/^1\s/m);
      expect(history.stdout).toMatch(/^2\s/m);
      expect((await kubectl(['rollout', 'undo', 'daemonset/agent'])).code).toBe(0);
      expect(
        (await kubectl(['rollout', 'status', 'daemonset/agent', '--timeout=30s'], undefined, 35_000)).code,
      ).toBe(0);
      await until(async () => {
        const live = (await podsOf(c.api, 'default', 'app=agent')).filter(
          (p) => !p.metadata.deletionTimestamp,
        );
        return live.length === 2 && live.every((p) => p.spec?.containers[0].image === 'busybox');
      }, 'pods back on busybox');
    } finally {
      clearInterval(heartbeat);
    }
  });

  it('creates pods unbound, pinned by node affinity; the scheduler binds them to tainted nodes they tolerate', async () => {
    await hollowNode('ds-3', { role: 'infra' });
    const heartbeat = setInterval(() => void renew('ds-3').catch(() => {}), 500);
    try {
      await setConditions('ds-3', [{ type: 'MemoryPressure', status: 'True' }]);
      await c.api.patch(res('nodes'), 'ds-3', { spec: { unschedulable: true } }, 'merge');
      await until(async () => {
        const t = await taintsOf('ds-3');
        return (
          t.includes('node.kubernetes.io/memory-pressure:NoSchedule') &&
          t.includes('node.kubernetes.io/unschedulable:NoSchedule')
        );
      }, 'condition taints on ds-3');
      // An ordinary pod for the same node stays pending: the taints are real for the scheduler.
      await c.api.create(
        res('pods'),
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name: 'not-a-daemon' },
          spec: { nodeSelector: { role: 'infra' }, containers: [{ name: 'app', image: 'busybox' }] },
        } as KubeObject,
        { namespace: 'default' },
      );
      const preferred = [
        { weight: 1, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } },
      ];
      const required = {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'role', operator: 'In', values: ['infra'] }] }],
      };
      await c.api.create(
        DAEMON_SETS,
        {
          apiVersion: 'apps/v1',
          kind: 'DaemonSet',
          metadata: { name: 'infra' },
          spec: {
            selector: { matchLabels: { app: 'infra' } },
            template: {
              metadata: { labels: { app: 'infra' } },
              spec: {
                affinity: {
                  nodeAffinity: {
                    requiredDuringSchedulingIgnoredDuringExecution: required,
                    preferredDuringSchedulingIgnoredDuringExecution: preferred,
                  },
                },
                containers: [{ name: 'app', image: 'busybox' }],
              },
            },
          },
        } as KubeObject,
        { namespace: 'default' },
      );
      const [pod] = await until(async () => {
        const pods = await podsOf(c.api, 'default', 'app=infra');
        return pods.length === 1 && pods[0].spec?.nodeName === 'ds-3' ? pods : undefined;
      }, 'daemon pod bound to ds-3');
      expect(pod.spec?.affinity?.nodeAffinity).toEqual({
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['ds-3'] }] }],
        },
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
      });
      const tolerated = (pod.spec?.tolerations ?? []).map((t) => `${t.key}:${t.effect}`);
      for (const key of ['memory-pressure', 'unschedulable', 'disk-pressure', 'pid-pressure']) {
        expect(tolerated).toContain(`node.kubernetes.io/${key}:NoSchedule`);
      }
      // Bound by the scheduler (a Binding and its event), not created with spec.nodeName.
      await until(async () => {
        const events = await c.api.list<KubeObject & { reason?: string; involvedObject?: { name?: string } }>(
          res('events'),
          { namespace: 'default' },
        );
        return events.items.some(
          (e) => e.reason === 'Scheduled' && e.involvedObject?.name === pod.metadata.name,
        );
      }, 'Scheduled event of the daemon pod');
      await until(async () => {
        const ds = await c.api.get<DS>(DAEMON_SETS, 'infra', { namespace: 'default' });
        return ds.status?.desiredNumberScheduled === 1 && ds.status.numberAvailable === 1;
      }, 'daemonset status');
      const stray = await c.api.get<PodObject>(res('pods'), 'not-a-daemon', { namespace: 'default' });
      expect(stray.spec?.nodeName).toBeUndefined();
      await c.api.delete(res('pods'), 'not-a-daemon', { namespace: 'default', gracePeriodSeconds: 0 });
    } finally {
      clearInterval(heartbeat);
    }
  });
});
