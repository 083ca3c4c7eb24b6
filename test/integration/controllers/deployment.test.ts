import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Endpoints } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { Informer } from '../../../client/index.js';
import { kubectlFor } from '../../support/kubectl.js';
import { type Cluster, type PodObject, podsOf, podTemplate, res, startCluster, until } from './harness.js';

type Deploy = Deployment & KubeObject;
type RS = ReplicaSet & KubeObject;
let c: Cluster;
let kubectl: ReturnType<typeof kubectlFor>;
const DEPLOYMENTS = res('deployments', 'apps');
const REPLICA_SETS = res('replicasets', 'apps');

beforeAll(async () => {
  c = await startCluster();
  kubectl = kubectlFor(c.server.kubeconfig);
});
afterAll(async () => {
  await c?.stop();
});

function deployment(name: string, replicas: number, extra: Partial<Deploy['spec']> = {}): Deploy {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: podTemplate({ app: name }, 'node-1'),
      ...extra,
    },
  } as Deploy;
}

async function setImage(name: string, image: string): Promise<void> {
  await c.api.patch(
    DEPLOYMENTS,
    name,
    { spec: { template: { spec: { containers: [{ name: 'app', image }] } } } },
    'strategic',
    { namespace: 'default' },
  );
}

async function setsOf(name: string): Promise<RS[]> {
  return (await c.api.list<RS>(REPLICA_SETS, { namespace: 'default', labelSelector: `app=${name}` })).items;
}

describe('deployment controller', () => {
  it('creates a ReplicaSet with the pod-template-hash and rollout status finishes', async () => {
    await c.api.create(DEPLOYMENTS, deployment('web', 3), { namespace: 'default' });
    const out = await kubectl(['rollout', 'status', 'deployment/web', '--timeout=40s'], undefined, 45_000);
    expect(out.stdout).toContain('successfully rolled out');
    expect(out.code).toBe(0);
    const [rs] = await setsOf('web');
    const hash = rs.metadata.labels?.['pod-template-hash'];
    expect(hash).toMatch(/^[bcdfghjklmnpqrstvwxz2456789]+$/);
    expect(rs.metadata.name).toBe(`web-${hash}`);
    expect(rs.spec?.selector.matchLabels?.['pod-template-hash']).toBe(hash);
    expect(rs.metadata.annotations).toMatchObject({
      'deployment.kubernetes.io/revision': '1',
      'deployment.kubernetes.io/desired-replicas': '3',
      'deployment.kubernetes.io/max-replicas': '4',
    });
    const d = await c.api.get<Deploy>(DEPLOYMENTS, 'web', { namespace: 'default' });
    expect(d.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('1');
    expect(d.status).toMatchObject({
      replicas: 3,
      updatedReplicas: 3,
      readyReplicas: 3,
      availableReplicas: 3,
    });
    const progressing = d.status?.conditions?.find((x) => x.type === 'Progressing');
    expect(progressing).toMatchObject({ status: 'True', reason: 'NewReplicaSetAvailable' });
    expect(d.status?.conditions?.find((x) => x.type === 'Available')?.status).toBe('True');
    // Settled: nothing is rewritten any more (no hot loop).
    await new Promise((r) => setTimeout(r, 1000));
    const d2 = await c.api.get<Deploy>(DEPLOYMENTS, 'web', { namespace: 'default' });
    const [rs2] = await setsOf('web');
    expect(d2.metadata.resourceVersion).toBe(d.metadata.resourceVersion);
    expect(rs2.metadata.resourceVersion).toBe((await setsOf('web'))[0].metadata.resourceVersion);
    await new Promise((r) => setTimeout(r, 500));
    expect((await setsOf('web'))[0].metadata.resourceVersion).toBe(rs2.metadata.resourceVersion);
  });

  it('rolls out honouring maxUnavailable at every step', async () => {
    const spec = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 1 } } };
    await c.api.create(DEPLOYMENTS, deployment('roll', 4, spec as Partial<Deploy['spec']>), {
      namespace: 'default',
    });
    await until(
      async () =>
        (await c.api.get<Deploy>(DEPLOYMENTS, 'roll', { namespace: 'default' })).status?.availableReplicas ===
        4,
      'initial rollout',
    );
    const [first] = await setsOf('roll');
    const oldHash = first.metadata.labels?.['pod-template-hash'];

    // New pods become ready only when the test says so; old ones are ready.
    const allowed = new Set<string>();
    c.kubelet.ready = (p) =>
      p.metadata.labels?.['pod-template-hash'] === oldHash || allowed.has(p.metadata.name ?? '');
    const informer = new Informer<PodObject>(c.api, res('pods'), {
      namespace: 'default',
      labelSelector: 'app=roll',
    });
    const stop = new AbortController();
    let minAvailable = Number.POSITIVE_INFINITY;
    let maxTotal = 0;
    const observe = (): void => {
      const pods = informer.store.list().filter((p) => !p.metadata.deletionTimestamp);
      const ready = pods.filter((p) =>
        p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'),
      );
      minAvailable = Math.min(minAvailable, ready.length);
      maxTotal = Math.max(maxTotal, pods.length);
    };
    informer.addEventHandler({ onAdd: observe, onUpdate: observe, onDelete: observe });
    void informer.start(stop.signal);
    await informer.waitForSync();
    // The initial list arrives one add at a time: start counting from the full picture.
    minAvailable = Number.POSITIVE_INFINITY;
    maxTotal = 0;
    observe();
    expect(minAvailable).toBe(4);
    try {
      await setImage('roll', 'busybox:2');
      for (;;) {
        const d = await c.api.get<Deploy>(DEPLOYMENTS, 'roll', { namespace: 'default' });
        const s = d.status ?? {};
        if (
          s.updatedReplicas === 4 &&
          s.replicas === 4 &&
          s.availableReplicas === 4 &&
          (s.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
        )
          break;
        const waiting = informer.store
          .list()
          .filter(
            (p) =>
              p.metadata.labels?.['pod-template-hash'] !== oldHash && !allowed.has(p.metadata.name ?? ''),
          );
        if (waiting.length > 0) {
          allowed.add(waiting[0].metadata.name ?? '');
          c.kubelet.resync();
        }
        await new Promise((r) => setTimeout(r, 150));
      }
    } finally {
      stop.abort();
      c.kubelet.ready = () => true;
    }
    expect(minAvailable).toBeGreaterThanOrEqual(3);
    expect(maxTotal).toBeLessThanOrEqual(5);
    const sets = await setsOf('roll');
    expect(sets).toHaveLength(2);
    const old = sets.find((s) => s.metadata.labels?.['pod-template-hash'] === oldHash);
    const next = sets.find((s) => s.metadata.labels?.['pod-template-hash'] !== oldHash);
    expect(old?.spec?.replicas).toBe(0);
    expect(next?.metadata.annotations?.['deployment.kubernetes.io/revision']).toBe('2');
  });

  it('keeps revisionHistoryLimit old sets and supports pause, resume and undo', async () => {
    await c.api.create(DEPLOYMENTS, deployment('hist', 1, { revisionHistoryLimit: 1 }), {
      namespace: 'default',
    });
    await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000);
    await setImage('hist', 'busybox:2');
    await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000);
    await setImage('hist', 'busybox:3');
    const out = await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000);
    expect(out.code).toBe(0);
    await until(async () => (await setsOf('hist')).length === 2, 'history trimmed to one old set');

    expect((await kubectl(['rollout', 'pause', 'deployment/hist'])).code).toBe(0);
    await setImage('hist', 'busybox:4');
    await new Promise((r) => setTimeout(r, 1000));
    expect(await setsOf('hist')).toHaveLength(2);
    const paused = await c.api.get<Deploy>(DEPLOYMENTS, 'hist', { namespace: 'default' });
    expect(paused.status?.conditions?.find((x) => x.type === 'Progressing')?.reason).toBe('DeploymentPaused');
    expect((await kubectl(['rollout', 'resume', 'deployment/hist'])).code).toBe(0);
    expect(
      (await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000)).code,
    ).toBe(0);
    const images = async () =>
      (await podsOf(c.api, 'default', 'app=hist'))
        .filter((p) => !p.metadata.deletionTimestamp)
        .map((p) => p.spec?.containers[0].image);
    await until(async () => (await images()).join() === 'busybox:4', 'pods on busybox:4');

    const undo = await kubectl(['rollout', 'undo', 'deployment/hist']);
    expect(undo.code).toBe(0);
    expect(
      (await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000)).code,
    ).toBe(0);
    await until(async () => (await images()).join() === 'busybox:3', 'pods back on busybox:3');

    const history = await kubectl(['rollout', 'history', 'deployment/hist']);
    expect(history.code).toBe(0);
    expect(history.stdout).toMatch(/REVISION/);
    const before = (await podsOf(c.api, 'default', 'app=hist')).map((p) => p.metadata.name);
    expect((await kubectl(['rollout', 'restart', 'deployment/hist'])).code).toBe(0);
    expect(
      (await kubectl(['rollout', 'status', 'deployment/hist', '--timeout=30s'], undefined, 35_000)).code,
    ).toBe(0);
    await until(async () => {
      const now = (await podsOf(c.api, 'default', 'app=hist')).filter((p) => !p.metadata.deletionTimestamp);
      return now.length === 1 && !before.includes(now[0].metadata.name);
    }, 'restarted pod');
  });

  it('Recreate: old pods are gone before new ones start; kubectl scale works', async () => {
    await c.api.create(DEPLOYMENTS, deployment('rec', 2, { strategy: { type: 'Recreate' } }), {
      namespace: 'default',
    });
    await kubectl(['rollout', 'status', 'deployment/rec', '--timeout=30s'], undefined, 35_000);
    const pods = new Informer<PodObject>(c.api, res('pods'), {
      namespace: 'default',
      labelSelector: 'app=rec',
    });
    const stop = new AbortController();
    let overlap = false;
    const check = (): void => {
      const hashes = new Set(pods.store.list().map((p) => p.metadata.labels?.['pod-template-hash']));
      if (hashes.size > 1) overlap = true;
    };
    pods.addEventHandler({ onAdd: check, onUpdate: check });
    void pods.start(stop.signal);
    await pods.waitForSync();
    await setImage('rec', 'busybox:2');
    const out = await kubectl(['rollout', 'status', 'deployment/rec', '--timeout=30s'], undefined, 35_000);
    stop.abort();
    expect(out.code).toBe(0);
    expect(overlap).toBe(false);
    expect((await kubectl(['scale', 'deployment/rec', '--replicas=4'])).code).toBe(0);
    await until(async () => (await podsOf(c.api, 'default', 'app=rec')).length === 4, 'scaled to 4');
  });
});

describe('deployment progress and restarts', () => {
  it('marks ProgressDeadlineExceeded and kubectl rollout status fails', async () => {
    c.kubelet.ready = (p) => p.metadata.labels?.app !== 'slow';
    try {
      await c.api.create(DEPLOYMENTS, deployment('slow', 1, { progressDeadlineSeconds: 2 }), {
        namespace: 'default',
      });
      const cond = await until(
        async () => {
          const d = await c.api.get<Deploy>(DEPLOYMENTS, 'slow', { namespace: 'default' });
          const p = d.status?.conditions?.find((x) => x.type === 'Progressing');
          return p?.reason === 'ProgressDeadlineExceeded' ? p : undefined;
        },
        'progress deadline',
        15_000,
      );
      expect(cond.status).toBe('False');
      const out = await kubectl(['rollout', 'status', 'deployment/slow', '--timeout=10s'], undefined, 15_000);
      expect(out.code).not.toBe(0);
      expect(out.stderr).toContain('exceeded its progress deadline');
    } finally {
      c.kubelet.ready = () => true;
    }
  });

  it('converges without duplicate pods when the controller-manager restarts mid-rollout', async () => {
    const spec = { strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 2 } } };
    await c.api.create(DEPLOYMENTS, deployment('restart', 4, spec as Partial<Deploy['spec']>), {
      namespace: 'default',
    });
    expect(
      (await kubectl(['rollout', 'status', 'deployment/restart', '--timeout=30s'], undefined, 35_000)).code,
    ).toBe(0);
    const informer = new Informer<PodObject>(c.api, res('pods'), {
      namespace: 'default',
      labelSelector: 'app=restart',
    });
    const stop = new AbortController();
    let maxTotal = 0;
    const observe = (): void => {
      maxTotal = Math.max(
        maxTotal,
        informer.store.list().filter((p) => !p.metadata.deletionTimestamp).length,
      );
    };
    informer.addEventHandler({ onAdd: observe, onUpdate: observe, onDelete: observe });
    void informer.start(stop.signal);
    await informer.waitForSync();
    maxTotal = 0;
    observe();
    try {
      await setImage('restart', 'busybox:2');
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 150));
        await c.restartControllers();
      }
      const out = await kubectl(
        ['rollout', 'status', 'deployment/restart', '--timeout=40s'],
        undefined,
        45_000,
      );
      expect(out.code).toBe(0);
      await until(async () => (await podsOf(c.api, 'default', 'app=restart')).length === 4, 'exactly 4 pods');
      await new Promise((r) => setTimeout(r, 500));
      expect(await podsOf(c.api, 'default', 'app=restart')).toHaveLength(4);
    } finally {
      stop.abort();
    }
    expect(maxTotal).toBeLessThanOrEqual(6);
  });
});

describe('endpoints and endpointslice controllers', () => {
  it('mirrors Endpoints of a selector-less Service into slices', async () => {
    await c.api.create(
      res('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'manual' },
        spec: { ports: [{ name: 'db', port: 5432 }] },
      } as KubeObject,
      { namespace: 'default' },
    );
    await c.api.create(
      res('endpoints'),
      {
        apiVersion: 'v1',
        kind: 'Endpoints',
        metadata: { name: 'manual', labels: { team: 'b' } },
        subsets: [
          {
            addresses: [{ ip: '192.0.2.10' }],
            notReadyAddresses: [{ ip: '192.0.2.11' }],
            ports: [{ name: 'db', port: 5432 }],
          },
        ],
      } as KubeObject,
      { namespace: 'default' },
    );
    type Slice = EndpointSlice & KubeObject;
    const slice = await until(async () => {
      const list = await c.api.list<Slice>(res('endpointslices', 'discovery.k8s.io'), {
        namespace: 'default',
        labelSelector: 'kubernetes.io/service-name=manual',
      });
      return list.items[0];
    }, 'mirrored slice');
    expect(slice.metadata.labels).toMatchObject({
      team: 'b',
      'endpointslice.kubernetes.io/managed-by': 'endpointslicemirroring-controller.k8s.io',
    });
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Endpoints', name: 'manual' });
    expect(slice.ports).toEqual([{ name: 'db', port: 5432, protocol: 'TCP' }]);
    expect(slice.endpoints.map((e) => [e.addresses[0], e.conditions?.ready])).toEqual([
      ['192.0.2.10', true],
      ['192.0.2.11', false],
    ]);
    const kube = await c.api.list<Slice>(res('endpointslices', 'discovery.k8s.io'), {
      namespace: 'default',
      labelSelector: 'endpointslice.kubernetes.io/managed-by=endpointslicemirroring-controller.k8s.io',
    });
    expect(kube.items.map((s) => s.metadata.labels?.['kubernetes.io/service-name'])).toEqual(['manual']);
  });

  it('follow pod readiness with named ports', async () => {
    const notReady = new Set<string>();
    c.kubelet.ready = (p) => !notReady.has(p.metadata.name ?? '');
    await c.api.create(DEPLOYMENTS, deployment('svc', 2), { namespace: 'default' });
    await c.api.create(
      res('services'),
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'svc', labels: { team: 'a' } },
        spec: { selector: { app: 'svc' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
      } as KubeObject,
      { namespace: 'default' },
    );
    type EP = Endpoints & KubeObject;
    const ep = await until(async () => {
      const e = await c.api.get<EP>(res('endpoints'), 'svc', { namespace: 'default' });
      return e.subsets?.[0]?.addresses?.length === 2 ? e : undefined;
    }, 'two ready addresses');
    expect(ep.subsets?.[0].ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(ep.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time']).toBeTruthy();
    expect(ep.metadata.labels?.team).toBe('a');

    const victim = ep.subsets?.[0].addresses?.[0].targetRef?.name ?? '';
    notReady.add(victim);
    c.kubelet.resync();
    const after = await until(async () => {
      const e = await c.api.get<EP>(res('endpoints'), 'svc', { namespace: 'default' });
      return e.subsets?.[0]?.notReadyAddresses?.length === 1 ? e : undefined;
    }, 'one not-ready address');
    expect(after.subsets?.[0].addresses).toHaveLength(1);
    expect(after.subsets?.[0].notReadyAddresses?.[0].targetRef?.name).toBe(victim);

    type Slice = EndpointSlice & KubeObject;
    const slices = await until(async () => {
      const list = await c.api.list<Slice>(res('endpointslices', 'discovery.k8s.io'), {
        namespace: 'default',
        labelSelector: 'kubernetes.io/service-name=svc',
      });
      const s = list.items[0];
      return list.items.length === 1 &&
        s.endpoints?.length === 2 &&
        s.endpoints.some((e) => e.conditions?.ready === false)
        ? list.items
        : undefined;
    }, 'slice with a not-ready endpoint');
    const slice = slices[0];
    expect(slice.metadata.labels?.['endpointslice.kubernetes.io/managed-by']).toBe(
      'endpointslice-controller.k8s.io',
    );
    expect(slice.ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(slice.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'Service', name: 'svc' });
    const bad = slice.endpoints.find((e) => e.targetRef?.name === victim);
    expect(bad?.conditions).toEqual({ ready: false, serving: false, terminating: false });
    // Settled: neither the Endpoints nor the slice is rewritten.
    await new Promise((r) => setTimeout(r, 1000));
    const epNow = await c.api.get<EP>(res('endpoints'), 'svc', { namespace: 'default' });
    const sliceNow = await c.api.get<Slice>(
      res('endpointslices', 'discovery.k8s.io'),
      slice.metadata.name ?? '',
      {
        namespace: 'default',
      },
    );
    await new Promise((r) => setTimeout(r, 1000));
    expect(
      (await c.api.get(res('endpoints'), 'svc', { namespace: 'default' })).metadata.resourceVersion,
    ).toBe(epNow.metadata.resourceVersion);
    expect(
      (
        await c.api.get(res('endpointslices', 'discovery.k8s.io'), slice.metadata.name ?? '', {
          namespace: 'default',
        })
      ).metadata.resourceVersion,
    ).toBe(sliceNow.metadata.resourceVersion);
    c.kubelet.ready = () => true;
  });
});
