import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import {
  type Cluster,
  type PodObject,
  podsOf,
  podTemplate,
  res,
  startCluster,
  until,
} from '../integration/controllers/harness.js';
import { kubectlFor } from '../support/kubectl.js';

type Pdb = PodDisruptionBudget & KubeObject;
const PDBS = res('poddisruptionbudgets', 'policy');
const PODS = res('pods');
const DEPLOYMENTS = res('deployments', 'apps');

let c: Cluster;
let kubectl: ReturnType<typeof kubectlFor>;

beforeAll(async () => {
  c = await startCluster();
  kubectl = kubectlFor(c.server.kubeconfig);
});
afterAll(async () => {
  await c?.stop();
});

async function namespace(name: string): Promise<void> {
  await c.api.create(res('namespaces'), { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
}

async function deploy(ns: string, name: string, replicas: number, node: string): Promise<void> {
  const d = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: podTemplate({ app: name }, node) },
  } as Deployment & KubeObject;
  await c.api.create(DEPLOYMENTS, d, { namespace: ns });
}

async function budget(ns: string, name: string, spec: Pdb['spec']): Promise<void> {
  await c.api.create(
    PDBS,
    { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name }, spec } as Pdb,
    {
      namespace: ns,
    },
  );
}

const readyPods = async (ns: string, app: string): Promise<PodObject[]> =>
  (await podsOf(c.api, ns, `app=${app}`)).filter(
    (p) =>
      !p.metadata.deletionTimestamp &&
      (p.status?.conditions ?? []).some((x) => x.type === 'Ready' && x.status === 'True'),
  );

function evict(ns: string, pod: string, body: Record<string, unknown> = {}): Promise<KubeObject> {
  return c.api.subresource('POST', PODS, pod, 'eviction', {
    namespace: ns,
    body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: pod, namespace: ns }, ...body },
  });
}

async function statusOf(ns: string, name: string): Promise<NonNullable<Pdb['status']>> {
  const pdb = await c.api.get<Pdb>(PDBS, name, { namespace: ns });
  if (!pdb.status) throw new Error('no status yet');
  return pdb.status;
}

describe('eviction with PodDisruptionBudgets', () => {
  it('takes a disruption from the budget, then refuses with 429 while none is left', async () => {
    await namespace('evict-a');
    await deploy('evict-a', 'web', 3, 'node-1');
    await until(async () => (await readyPods('evict-a', 'web')).length === 3, 'three ready pods');
    await budget('evict-a', 'web', { minAvailable: 2, selector: { matchLabels: { app: 'web' } } });
    const s = await until(async () => {
      const st = await statusOf('evict-a', 'web');
      return st.currentHealthy === 3 ? st : undefined;
    }, 'budget status');
    expect(s).toMatchObject({
      desiredHealthy: 2,
      expectedPods: 3,
      disruptionsAllowed: 1,
      observedGeneration: 1,
    });
    expect(s.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({
      status: 'True',
      reason: 'SufficientPods',
    });

    const [first, second] = await readyPods('evict-a', 'web');
    // Replacements stay unready for now, so that the budget stays spent.
    const original = new Set((await readyPods('evict-a', 'web')).map((p) => p.metadata.name));
    c.kubelet.ready = (p) => p.metadata.namespace !== 'evict-a' || original.has(p.metadata.name);
    // A dry run answers as the eviction would, and changes nothing.
    await c.api.subresource('POST', PODS, first?.metadata.name ?? '', 'eviction', {
      namespace: 'evict-a',
      dryRun: true,
      body: { apiVersion: 'policy/v1', kind: 'Eviction', metadata: { name: first?.metadata.name } },
    });
    expect((await statusOf('evict-a', 'web')).disruptionsAllowed).toBe(1);
    expect((await readyPods('evict-a', 'web')).length).toBe(3);
    // Every write to the budget, to see the one the eviction made.
    const seen: Pdb[] = [];
    const stopWatch = new AbortController();
    const rv = (await c.api.get<Pdb>(PDBS, 'web', { namespace: 'evict-a' })).metadata.resourceVersion;
    void (async () => {
      for await (const e of c.api.watch<Pdb>(PDBS, {
        namespace: 'evict-a',
        resourceVersion: rv,
        signal: stopWatch.signal,
      }))
        seen.push(e.object);
    })().catch(() => {});
    const ok = await evict('evict-a', first?.metadata.name ?? '');
    expect(ok).toMatchObject({ kind: 'Status', status: 'Success' });
    const after = await statusOf('evict-a', 'web');
    expect(after.disruptionsAllowed).toBe(0);
    // The eviction recorded the pod; the controller drops the entry once the pod is going.
    const evicted = first?.metadata.name ?? '';
    const going = await c.api.get<PodObject>(PODS, evicted, { namespace: 'evict-a' }).then(
      (p) => !!p.metadata.deletionTimestamp,
      (e) => isStatusError(e, 'NotFound'),
    );
    expect(going).toBe(true);
    const recorded = await until(
      () => seen.find((b) => Object.hasOwn(b.status?.disruptedPods ?? {}, evicted)),
      'the eviction in disruptedPods',
    );
    stopWatch.abort();
    expect(recorded.status?.disruptionsAllowed).toBe(0);
    expect(recorded.status?.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({
      status: 'False',
      reason: 'InsufficientPods',
    });

    const refused = await evict('evict-a', second?.metadata.name ?? '').then(
      () => undefined,
      (e: unknown) => e as StatusError,
    );
    expect(refused?.code).toBe(429);
    expect(refused?.reason).toBe('TooManyRequests');
    expect(refused?.message).toBe("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(refused?.details?.causes?.[0]?.reason).toBe('DisruptionBudget');
    // The refused pod is still there, not being deleted.
    const still = await c.api.get<PodObject>(PODS, second?.metadata.name ?? '', { namespace: 'evict-a' });
    expect(still.metadata.deletionTimestamp).toBeUndefined();

    // Once the replacement is ready, the controller gives the disruption back.
    c.kubelet.ready = () => true;
    c.kubelet.resync();
    await until(async () => (await statusOf('evict-a', 'web')).disruptionsAllowed === 1, 'budget refilled');
    expect((await statusOf('evict-a', 'web')).disruptedPods).toBeUndefined();
  });

  it('evicts pending pods without the budget and refuses pods under two budgets with 500', async () => {
    await namespace('evict-b');
    await c.api.create(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'pending', labels: { app: 'p' } },
        spec: podTemplate({}).spec,
      } as KubeObject,
      { namespace: 'evict-b' },
    );
    await budget('evict-b', 'none', { maxUnavailable: 0, selector: { matchLabels: { app: 'p' } } });
    await until(async () => (await statusOf('evict-b', 'none')).observedGeneration === 1, 'status');
    await evict('evict-b', 'pending');
    await until(
      () =>
        c.api.get(PODS, 'pending', { namespace: 'evict-b' }).then(
          () => false,
          (e) => isStatusError(e, 'NotFound'),
        ),
      'pending pod gone',
    );

    // A pod kept by a finalizer shows why it is going: the DisruptionTarget condition.
    await c.api.create(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'held', finalizers: ['example.com/hold'] },
        spec: podTemplate({}).spec,
      } as KubeObject,
      { namespace: 'evict-b' },
    );
    await evict('evict-b', 'held');
    const held = await c.api.get<PodObject>(PODS, 'held', { namespace: 'evict-b' });
    expect(held.metadata.deletionTimestamp).toBeDefined();
    expect(held.status?.conditions?.find((x) => x.type === 'DisruptionTarget')).toMatchObject({
      status: 'True',
      reason: 'EvictionByEvictionAPI',
      message: 'Eviction API: evicting',
    });
    await c.api.patch(PODS, 'held', { metadata: { finalizers: null } }, 'merge', { namespace: 'evict-b' });

    await deploy('evict-b', 'two', 1, 'node-1');
    await until(async () => (await readyPods('evict-b', 'two')).length === 1, 'ready pod');
    await budget('evict-b', 'one', { minAvailable: 0, selector: { matchLabels: { app: 'two' } } });
    await budget('evict-b', 'another', { minAvailable: 0, selector: {} });
    const [pod] = await readyPods('evict-b', 'two');
    const err = await evict('evict-b', pod?.metadata.name ?? '').then(
      () => undefined,
      (e: unknown) => e as StatusError,
    );
    expect(err?.code).toBe(500);
    expect(err?.message).toContain('more than one PodDisruptionBudget');
  });

  it('kubectl drain waits on the budget and finishes once replacements are ready', async () => {
    await namespace('drain');
    await c.api.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'drain-node' } });
    await deploy('drain', 'app', 3, 'drain-node');
    await until(async () => (await readyPods('drain', 'app')).length === 3, 'three ready pods');
    await budget('drain', 'app', { maxUnavailable: 1, selector: { matchLabels: { app: 'app' } } });
    await until(async () => (await statusOf('drain', 'app')).disruptionsAllowed === 1, 'budget ready');
    const before = new Set((await podsOf(c.api, 'drain', 'app=app')).map((p) => p.metadata.name));

    // With the budget at zero allowed, the drain retries and gives up at its timeout.
    await c.api.patch(PDBS, 'app', { spec: { maxUnavailable: 0 } }, 'merge', { namespace: 'drain' });
    await until(async () => (await statusOf('drain', 'app')).observedGeneration === 2, 'budget at zero');
    const blocked = await kubectl(
      ['drain', 'drain-node', '--ignore-daemonsets', '--timeout=7s', '--pod-selector=app=app'],
      undefined,
      30_000,
    );
    expect(blocked.code).not.toBe(0);
    expect(blocked.stderr).toContain("Cannot evict pod as it would violate the pod's disruption budget.");
    expect(blocked.stderr).toContain('will retry after 5s');
    expect((await readyPods('drain', 'app')).length).toBe(3);

    // One at a time allowed: every pod goes, each waiting for the previous replacement.
    await c.api.patch(PDBS, 'app', { spec: { maxUnavailable: 1 } }, 'merge', { namespace: 'drain' });
    const drained = await kubectl(
      ['drain', 'drain-node', '--ignore-daemonsets', '--timeout=90s', '--pod-selector=app=app'],
      undefined,
      100_000,
    );
    expect(drained.stderr).toContain('will retry after 5s');
    expect(drained.code).toBe(0);
    for (const name of before) expect(drained.stdout).toContain(`pod/${name} evicted`);
    const node = await c.api.get(res('nodes'), 'drain-node');
    expect((node.spec as { unschedulable?: boolean }).unschedulable).toBe(true);
  }, 150_000);
});
