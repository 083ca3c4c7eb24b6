import type { PodDisruptionBudgetSpec } from 'kubernetes-types/policy/v1.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import {
  type ApiClient,
  type EventRecorder,
  FakeClock,
  IndexedStore,
  WorkQueue,
} from '../../../client/index.js';
import {
  DELETION_TIMEOUT_MS,
  expectedAndDesired,
  type PdbObject,
  scaledValue,
} from '../../../control-plane/controllers/disruption-budget.js';
import { DisruptionController } from '../../../control-plane/controllers/disruption-controller.js';
import type { PodObject } from '../../../control-plane/controllers/replicaset-controller.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');

function pod(
  name: string,
  o: {
    ready?: boolean;
    owner?: { kind: string; name: string; uid: string };
    deleting?: boolean;
    labels?: Record<string, string>;
  } = {},
): PodObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: o.labels ?? { app: 'web' },
      ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:00:00Z' } : {}),
      ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', controller: true, ...o.owner }] } : {}),
    },
    spec: { containers: [] },
    status: {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

function pdb(spec: Partial<PodDisruptionBudgetSpec>, status?: PdbObject['status']): PdbObject {
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name: 'budget', namespace: 'ns', uid: 'pdb', generation: 2, resourceVersion: '5' },
    spec: { selector: { matchLabels: { app: 'web' } }, ...spec },
    ...(status ? { status } : {}),
  } as PdbObject;
}

function setup(
  budget: PdbObject,
  pods: PodObject[],
  extra: { rs?: KubeObject[]; deployments?: KubeObject[] } = {},
) {
  const pdbs = new IndexedStore<PdbObject>();
  pdbs.set(budget);
  const podStore = new IndexedStore<PodObject>();
  for (const p of pods) podStore.set(p);
  const rsStore = new IndexedStore<KubeObject>();
  for (const r of extra.rs ?? []) rsStore.set(r);
  const depStore = new IndexedStore<KubeObject>();
  for (const d of extra.deployments ?? []) depStore.set(d);
  const written: PdbObject[] = [];
  const events: string[] = [];
  const api = {
    updateStatus: async (_r: unknown, obj: PdbObject) => {
      written.push(obj);
      return obj;
    },
  } as unknown as ApiClient;
  const recorder = {
    event: (_o: unknown, _t: string, reason: string) => events.push(reason),
  } as unknown as EventRecorder;
  const clock = new FakeClock(T0);
  const queue = new WorkQueue<string>({ clock });
  const c = new DisruptionController({
    pdbs,
    pods: podStore,
    replicaSets: rsStore as never,
    deployments: depStore as never,
    statefulSets: new IndexedStore() as never,
    api,
    events: recorder,
    queue,
    clock,
    log: pino({ level: 'silent' }),
  });
  return { c, written, events, clock, queue };
}

describe('budget arithmetic', () => {
  it('scales percentages, rounding up for budgets', () => {
    expect(scaledValue('50%', 5, true)).toBe(3);
    expect(scaledValue('50%', 5, false)).toBe(2);
    expect(scaledValue(4, 10, true)).toBe(4);
    expect(() => scaledValue('half', 10, true)).toThrow(/invalid value/);
  });

  it('derives desiredHealthy from minAvailable or maxUnavailable', () => {
    expect(expectedAndDesired({ minAvailable: 2 }, 4, 0)).toEqual({ expectedPods: 4, desiredHealthy: 2 });
    expect(expectedAndDesired({ minAvailable: '60%' }, 4, 5)).toEqual({ expectedPods: 5, desiredHealthy: 3 });
    expect(expectedAndDesired({ maxUnavailable: 1 }, 4, 5)).toEqual({ expectedPods: 5, desiredHealthy: 4 });
    expect(expectedAndDesired({ maxUnavailable: '30%' }, 4, 5)).toEqual({
      expectedPods: 5,
      desiredHealthy: 3,
    });
    expect(expectedAndDesired({ maxUnavailable: 9 }, 4, 5)).toEqual({ expectedPods: 5, desiredHealthy: 0 });
  });
});

describe('disruption controller', () => {
  it('writes counts, disruptionsAllowed, observedGeneration and SufficientPods', async () => {
    const { c, written } = setup(pdb({ minAvailable: 2 }), [
      pod('a'),
      pod('b'),
      pod('c'),
      pod('d', { ready: false }),
    ]);
    await c.sync('ns/budget');
    expect(written).toHaveLength(1);
    const s = written[0]?.status;
    expect(s).toMatchObject({
      currentHealthy: 3,
      desiredHealthy: 2,
      expectedPods: 4,
      disruptionsAllowed: 1,
      observedGeneration: 2,
    });
    expect(s?.conditions).toEqual([
      expect.objectContaining({
        type: 'DisruptionAllowed',
        status: 'True',
        reason: 'SufficientPods',
        observedGeneration: 2,
      }),
    ]);
  });

  it('allows nothing with InsufficientPods when the healthy count is at the minimum', async () => {
    const { c, written } = setup(pdb({ minAvailable: 2 }), [pod('a'), pod('b', { ready: false })]);
    await c.sync('ns/budget');
    expect(written[0]?.status?.disruptionsAllowed).toBe(0);
    expect(written[0]?.status?.conditions?.[0]).toMatchObject({
      status: 'False',
      reason: 'InsufficientPods',
    });
  });

  it('counts maxUnavailable against the Deployment scale behind the pods', async () => {
    const owner = { kind: 'ReplicaSet', name: 'web-1', uid: 'rs1' };
    const rs = {
      metadata: {
        name: 'web-1',
        namespace: 'ns',
        uid: 'rs1',
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'dep', controller: true },
        ],
      },
      spec: { replicas: 3 },
    } as KubeObject;
    const dep = {
      metadata: { name: 'web', namespace: 'ns', uid: 'dep' },
      spec: { replicas: 5 },
    } as KubeObject;
    const { c, written } = setup(
      pdb({ maxUnavailable: 1 }),
      [pod('a', { owner }), pod('b', { owner }), pod('c', { owner })],
      { rs: [rs], deployments: [dep] },
    );
    await c.sync('ns/budget');
    // Five expected, four must stay healthy, three are: nothing may go.
    expect(written[0]?.status).toMatchObject({
      expectedPods: 5,
      desiredHealthy: 4,
      currentHealthy: 3,
      disruptionsAllowed: 0,
    });
  });

  it('fails safe with SyncFailed when a pod controller is missing', async () => {
    const owner = { kind: 'ReplicaSet', name: 'gone', uid: 'rs-gone' };
    const { c, written, events } = setup(pdb({ maxUnavailable: '10%' }, undefined), [pod('a', { owner })]);
    await expect(c.sync('ns/budget')).rejects.toThrow(/found no controllers/);
    expect(written[0]?.status?.disruptionsAllowed).toBe(0);
    expect(written[0]?.status?.conditions?.[0]).toMatchObject({ status: 'False', reason: 'SyncFailed' });
    expect(events).toContain('CalculateExpectedPodCountFailed');
  });

  it('warns about pods without a controller and leaves them out of the expected count', async () => {
    const { c, written, events } = setup(pdb({ minAvailable: '50%' }), [pod('a'), pod('b')]);
    await c.sync('ns/budget');
    expect(events).toContain('UnmanagedPods');
    expect(written[0]?.status).toMatchObject({ expectedPods: 0, disruptionsAllowed: 0 });
  });

  it('keeps evicted pods out of the healthy count until they go or the timeout passes', async () => {
    const evictedAt = '2026-01-01T00:00:00Z';
    const budget = pdb(
      { minAvailable: 1 },
      {
        currentHealthy: 3,
        desiredHealthy: 1,
        expectedPods: 3,
        disruptionsAllowed: 1,
        observedGeneration: 2,
        disruptedPods: { a: evictedAt, vanished: evictedAt },
      },
    );
    const { c, written, clock, queue } = setup(budget, [pod('a'), pod('b'), pod('c')]);
    await c.sync('ns/budget');
    expect(written[0]?.status?.disruptedPods).toEqual({ a: evictedAt });
    expect(written[0]?.status).toMatchObject({ currentHealthy: 2, disruptionsAllowed: 1 });
    // A recheck is scheduled for when the entry expires.
    clock.advance(DELETION_TIMEOUT_MS + 100);
    expect(queue.len()).toBe(1);
    await c.sync('ns/budget');
    expect(written[1]?.status?.disruptedPods).toBeUndefined();
    expect(written[1]?.status).toMatchObject({ currentHealthy: 3, disruptionsAllowed: 2 });
  });

  it('does not write an unchanged status', async () => {
    const first = setup(pdb({ minAvailable: 1 }), [pod('a'), pod('b')]);
    await first.c.sync('ns/budget');
    const again = setup({ ...pdb({ minAvailable: 1 }), status: first.written[0]?.status }, [
      pod('a'),
      pod('b'),
    ]);
    await again.c.sync('ns/budget');
    expect(again.written).toHaveLength(0);
  });

  it('selects every pod of the namespace with an empty selector and none without one', async () => {
    const all = setup(pdb({ minAvailable: 0, selector: {} }), [pod('a', { labels: { other: 'x' } })]);
    await all.c.sync('ns/budget');
    expect(all.written[0]?.status?.currentHealthy).toBe(1);
    const none = setup({ ...pdb({ minAvailable: 0 }), spec: { minAvailable: 0 } }, [pod('a')]);
    await none.c.sync('ns/budget');
    expect(none.written[0]?.status?.currentHealthy).toBe(0);
    expect(none.events).toContain('NoPods');
  });
});
