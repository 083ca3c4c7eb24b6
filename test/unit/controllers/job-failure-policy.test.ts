import type { JobSpec, PodFailurePolicy } from 'kubernetes-types/batch/v1.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type KubeObject, keyOf } from '../../../api/object.js';
import {
  type ApiClient,
  type EventRecorder,
  FakeClock,
  IndexedStore,
  WorkQueue,
} from '../../../client/index.js';
import { Expectations } from '../../../control-plane/controllers/expectations.js';
import { OWNER_UID_INDEX } from '../../../control-plane/controllers/informer-factory.js';
import { JobController, type JobObject } from '../../../control-plane/controllers/job-controller.js';
import {
  isIndexFailed,
  lastFailedPodPerIndex,
  nextIndexFailureCounts,
} from '../../../control-plane/controllers/job-index-failures.js';
import { matchPodFailurePolicy } from '../../../control-plane/controllers/job-pod-failure-policy.js';
import type { PodObject } from '../../../control-plane/controllers/replicaset-controller.js';

function failedPod(
  name: string,
  opts: {
    exit?: number;
    container?: string;
    conditions?: string[];
    index?: number;
    failures?: number;
    at?: string;
  } = {},
): PodObject {
  const annotations: Record<string, string> = {};
  if (opts.index !== undefined) annotations['batch.kubernetes.io/job-completion-index'] = String(opts.index);
  if (opts.failures !== undefined)
    annotations['batch.kubernetes.io/job-index-failure-count'] = String(opts.failures);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, annotations },
    spec: { containers: [{ name: opts.container ?? 'main', image: 'x' }] },
    status: {
      phase: 'Failed',
      conditions: (opts.conditions ?? []).map((type) => ({ type, status: 'True' })),
      containerStatuses: [
        {
          name: opts.container ?? 'main',
          image: 'x',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: opts.exit ?? 1, finishedAt: opts.at ?? '2024-01-01T00:00:00Z' } },
        },
      ],
    },
  };
}

const POLICY: PodFailurePolicy = {
  rules: [
    { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
    { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
    { action: 'FailIndex', onExitCodes: { operator: 'In', values: [7] } },
    { action: 'Count', onExitCodes: { operator: 'NotIn', values: [42, 7] } },
  ],
};

describe('pod failure policy matching', () => {
  it('FailJob on an exit code carries the upstream message', () => {
    expect(matchPodFailurePolicy(POLICY, failedPod('p', { exit: 42 }))).toEqual({
      action: 'FailJob',
      countFailed: true,
      failJobMessage: 'Container main for pod ns/p failed with exit code 42 matching FailJob rule at index 0',
    });
  });

  it('rules apply in order; containerName narrows; conditions match; no rule means Count', () => {
    // Exit 42 from another container skips rule 0 and lands on nothing (NotIn excludes 42).
    expect(matchPodFailurePolicy(POLICY, failedPod('p', { exit: 42, container: 'side' }))).toEqual({
      countFailed: true,
    });
    expect(
      matchPodFailurePolicy(POLICY, failedPod('p', { exit: 3, conditions: ['DisruptionTarget'] })),
    ).toEqual({ action: 'Ignore', countFailed: false });
    expect(matchPodFailurePolicy(POLICY, failedPod('p', { exit: 7 })).action).toBe('FailIndex');
    expect(matchPodFailurePolicy(POLICY, failedPod('p', { exit: 3 })).action).toBe('Count');
    expect(matchPodFailurePolicy(undefined, failedPod('p'))).toEqual({ countFailed: true });
  });

  it('a FailJob rule on a pod condition names the condition', () => {
    const policy: PodFailurePolicy = {
      rules: [{ action: 'FailJob', onPodConditions: [{ type: 'ConfigIssue', status: 'True' }] }],
    };
    expect(
      matchPodFailurePolicy(policy, failedPod('p', { conditions: ['ConfigIssue'] })).failJobMessage,
    ).toBe('Pod ns/p has condition ConfigIssue matching FailJob rule at index 0');
  });

  it('exit code 0 never matches, even NotIn', () => {
    const policy: PodFailurePolicy = {
      rules: [{ action: 'Ignore', onExitCodes: { operator: 'NotIn', values: [1] } }],
    };
    expect(matchPodFailurePolicy(policy, failedPod('p', { exit: 0 }))).toEqual({ countFailed: true });
  });
});

describe('per-index failures', () => {
  const job = (extra: Partial<JobSpec> = {}) => ({
    spec: { template: {}, completionMode: 'Indexed', completions: 3, backoffLimitPerIndex: 1, ...extra },
  });

  it('an index fails once its counted failures pass backoffLimitPerIndex, or on FailIndex', () => {
    expect(isIndexFailed(job(), failedPod('a', { index: 0, failures: 0 }))).toBe(false);
    expect(isIndexFailed(job(), failedPod('a', { index: 0, failures: 1 }))).toBe(true);
    expect(isIndexFailed(job({ podFailurePolicy: POLICY }), failedPod('a', { index: 0, exit: 7 }))).toBe(
      true,
    );
    // Ignored failures never fail the index.
    const ignored = failedPod('a', { index: 0, failures: 5, conditions: ['DisruptionTarget'], exit: 3 });
    expect(isIndexFailed(job({ podFailurePolicy: POLICY }), ignored)).toBe(false);
  });

  it('a replacement carries the failure counts of the pod it replaces', () => {
    expect(nextIndexFailureCounts(job(), undefined)).toEqual({ failures: 0, ignored: 0 });
    expect(nextIndexFailureCounts(job(), failedPod('a', { index: 0, failures: 2 }))).toEqual({
      failures: 3,
      ignored: 0,
    });
    const ignored = failedPod('a', { index: 0, failures: 2, conditions: ['DisruptionTarget'], exit: 3 });
    expect(nextIndexFailureCounts(job({ podFailurePolicy: POLICY }), ignored)).toEqual({
      failures: 2,
      ignored: 1,
    });
    const idx = (p: PodObject) =>
      Number(p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']);
    const last = lastFailedPodPerIndex(
      [failedPod('a', { index: 0, failures: 0 }), failedPod('b', { index: 0, failures: 1 })],
      idx,
    );
    expect(last.get(0)?.metadata.name).toBe('b');
  });
});

/** A job controller over in-memory stores whose fake API writes back into them. */
function cluster(spec: Partial<JobSpec>, backoffBaseMs = 0) {
  const jobs = new IndexedStore<JobObject>();
  const pods = new IndexedStore<PodObject>({
    [OWNER_UID_INDEX]: (p) => (p.metadata.ownerReferences ?? []).map((r) => r.uid),
  });
  jobs.set({
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name: 'j', namespace: 'ns', uid: 'job-uid', resourceVersion: '1' },
    spec: {
      parallelism: 2,
      backoffLimit: 6,
      template: { spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'x' }] } },
      ...spec,
    },
  });
  let n = 0;
  const deletes: string[] = [];
  const events: string[] = [];
  const api = {
    create: async (_r: unknown, pod: PodObject) => {
      n++;
      const created = {
        ...pod,
        metadata: { ...pod.metadata, name: `${pod.metadata.generateName}${n}`, uid: `uid-${n}` },
        status: { phase: 'Pending' },
      };
      pods.set(created);
      return created;
    },
    // As the apiserver: a deleted pod goes once its last finalizer does.
    update: async (_r: unknown, obj: PodObject) => {
      if (obj.metadata.deletionTimestamp && !obj.metadata.finalizers?.length) pods.remove(keyOf(obj));
      else pods.set(obj);
      return obj;
    },
    delete: async (_r: unknown, name: string) => {
      const pod = pods.list().find((p) => p.metadata.name === name);
      if (pod) pods.set({ ...pod, metadata: { ...pod.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } });
      deletes.push(name);
      return {};
    },
    updateStatus: async (_r: unknown, obj: KubeObject) => {
      jobs.set(obj as JobObject);
      return obj;
    },
  } as unknown as ApiClient;
  const clock = new FakeClock();
  const expectations = new Expectations(clock);
  const queue = new WorkQueue<string>({ clock });
  const controller = new JobController({
    jobs,
    pods,
    api,
    expectations,
    events: {
      event: (_o: unknown, _t: string, reason: string) => events.push(reason),
    } as unknown as EventRecorder,
    queue,
    clock,
    log: pino({ level: 'silent' }),
    backoffBaseMs,
  });
  /** Syncs repeatedly, as the watch events of each write would. */
  const settle = async () => {
    for (let i = 0; i < 10; i++) {
      await controller.sync('ns/j');
      // The informer would have seen every creation by now.
      expectations.forget('ns/j');
    }
  };
  const fail = (name: string, exit: number, conditions: string[] = []) => {
    const pod = pods.list().find((p) => p.metadata.name === name);
    if (!pod) throw new Error(`no pod ${name}`);
    const base = failedPod(name, { exit, conditions, at: new Date(clock.now()).toISOString() });
    pods.set({ ...pod, status: base.status });
  };
  const job = () => jobs.get('ns/j') as JobObject;
  const live = () =>
    pods.list().filter((p) => p.status?.phase === 'Pending' && !p.metadata.deletionTimestamp);
  return { settle, fail, job, live, pods, events, clock, deletes };
}

const cond = (job: JobObject, type: string) => job.status?.conditions?.find((c) => c.type === type);

describe('job controller with a pod failure policy', () => {
  it('FailJob fails the job with FailureTarget then Failed, reason PodFailurePolicy', async () => {
    const c = cluster({ completions: 4, podFailurePolicy: POLICY });
    await c.settle();
    expect(c.live()).toHaveLength(2);
    const victim = c.live()[0]?.metadata.name ?? '';
    c.fail(victim, 42);
    await c.settle();
    const msg = `Container main for pod ns/${victim} failed with exit code 42 matching FailJob rule at index 0`;
    expect(cond(c.job(), 'FailureTarget')).toMatchObject({
      status: 'True',
      reason: 'PodFailurePolicy',
      message: msg,
    });
    expect(cond(c.job(), 'Failed')).toMatchObject({
      status: 'True',
      reason: 'PodFailurePolicy',
      message: msg,
    });
    expect(c.job().status?.failed).toBe(1);
    expect(c.live()).toHaveLength(0);
  });

  it('Failed waits, behind FailureTarget, until the pods the job deleted are gone', async () => {
    const c = cluster({ completions: 4, podFailurePolicy: POLICY });
    await c.settle();
    const [victim, other] = c.live();
    if (!victim || !other) throw new Error('two pods expected');
    const held = {
      ...other.metadata,
      finalizers: [...(other.metadata.finalizers ?? []), 'example.com/hold'],
    };
    c.pods.set({ ...other, metadata: held });
    c.fail(victim.metadata.name ?? '', 42);
    await c.settle();
    expect(c.deletes).toEqual([other.metadata.name]);
    expect(cond(c.job(), 'FailureTarget')?.reason).toBe('PodFailurePolicy');
    expect(cond(c.job(), 'Failed')).toBeUndefined();
    expect(c.job().status).toMatchObject({ active: 0, terminating: 1, failed: 1 });
    c.pods.remove(`ns/${other.metadata.name}`);
    await c.settle();
    expect(cond(c.job(), 'Failed')?.reason).toBe('PodFailurePolicy');
    expect(c.job().status).toMatchObject({ terminating: 0, failed: 1 });
  });

  it('Ignore does not count the failure and replaces the pod; Count does', async () => {
    const c = cluster({ completions: 4, backoffLimit: 0, podFailurePolicy: POLICY });
    await c.settle();
    const first = c.live()[0]?.metadata.name ?? '';
    c.fail(first, 3, ['DisruptionTarget']);
    await c.settle();
    expect(c.job().status?.failed ?? 0).toBe(0);
    expect(cond(c.job(), 'Failed')).toBeUndefined();
    expect(c.live()).toHaveLength(2);
    const released = c.pods.list().find((p) => p.metadata.name === first);
    expect(released?.metadata.finalizers ?? []).not.toContain('batch.kubernetes.io/job-tracking');
    c.fail(c.live()[0]?.metadata.name ?? '', 3);
    await c.settle();
    expect(c.job().status?.failed).toBe(1);
    expect(cond(c.job(), 'Failed')?.reason).toBe('BackoffLimitExceeded');
  });
});

describe('job controller with backoffLimitPerIndex', () => {
  it('retries an index up to its limit, then marks it failed; all done -> FailedIndexes', async () => {
    const c = cluster({
      completionMode: 'Indexed',
      completions: 2,
      parallelism: 2,
      backoffLimitPerIndex: 1,
      backoffLimit: 2147483647,
    });
    await c.settle();
    expect(c.job().status?.failedIndexes).toBe('');
    const ofIndex = (i: number) =>
      c
        .live()
        .find((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'] === String(i));
    const first = ofIndex(1);
    expect(first?.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']).toBe('0');
    c.fail(first?.metadata.name ?? '', 1);
    await c.settle();
    const retry = ofIndex(1);
    expect(retry?.metadata.name).not.toBe(first?.metadata.name);
    expect(retry?.metadata.annotations?.['batch.kubernetes.io/job-index-failure-count']).toBe('1');
    c.fail(retry?.metadata.name ?? '', 1);
    await c.settle();
    expect(c.job().status?.failedIndexes).toBe('1');
    expect(ofIndex(1)).toBeUndefined();
    expect(cond(c.job(), 'Failed')).toBeUndefined();
    // Index 0 succeeds: every index is done, one failed.
    const zero = ofIndex(0);
    c.pods.set({ ...(zero as PodObject), status: { phase: 'Succeeded' } });
    await c.settle();
    expect(c.job().status).toMatchObject({
      completedIndexes: '0',
      failedIndexes: '1',
      succeeded: 1,
      failed: 2,
    });
    expect(cond(c.job(), 'Failed')).toMatchObject({
      reason: 'FailedIndexes',
      message: 'Job has failed indexes',
    });
  });

  it('FailIndex fails the index at once; more than maxFailedIndexes fails the job', async () => {
    const c = cluster({
      completionMode: 'Indexed',
      completions: 3,
      parallelism: 3,
      backoffLimitPerIndex: 5,
      maxFailedIndexes: 1,
      backoffLimit: 2147483647,
      podFailurePolicy: POLICY,
    });
    await c.settle();
    const names = c.live().map((p) => p.metadata.name ?? '');
    c.fail(names[0] ?? '', 7);
    await c.settle();
    expect(c.job().status?.failedIndexes?.split(',')).toHaveLength(1);
    expect(cond(c.job(), 'Failed')).toBeUndefined();
    expect(c.live()).toHaveLength(2);
    c.fail(names[1] ?? '', 7);
    await c.settle();
    expect(cond(c.job(), 'Failed')).toMatchObject({
      reason: 'MaxFailedIndexesExceeded',
      message: 'Job has exceeded the specified maximal number of failed indexes',
    });
    expect(c.live()).toHaveLength(0);
  });

  it('each index backs off on its own failures before its replacement', async () => {
    const c = cluster(
      { completionMode: 'Indexed', completions: 2, parallelism: 2, backoffLimitPerIndex: 3, backoffLimit: 9 },
      10_000,
    );
    await c.settle();
    const [a] = c.live();
    c.fail(a?.metadata.name ?? '', 1);
    await c.settle();
    expect(c.live()).toHaveLength(1);
    c.clock.advance(10_001);
    await c.settle();
    expect(c.live()).toHaveLength(2);
  });
});

describe('job controller podReplacementPolicy', () => {
  const terminate = (c: ReturnType<typeof cluster>) => {
    const [pod] = c.live();
    if (!pod) throw new Error('no live pod');
    // Another finalizer holds the pod while it terminates.
    const finalizers = [...(pod.metadata.finalizers ?? []), 'example.com/hold'];
    c.pods.set({
      ...pod,
      metadata: { ...pod.metadata, finalizers, deletionTimestamp: '2024-01-01T00:00:00Z' },
    });
    return pod;
  };

  it('Failed: a pod being deleted is replaced only once gone; status.terminating counts it', async () => {
    const c = cluster({ parallelism: 1, completions: 2, podReplacementPolicy: 'Failed' });
    await c.settle();
    const pod = terminate(c);
    await c.settle();
    expect(c.live()).toHaveLength(0);
    expect(c.job().status?.terminating).toBe(1);
    c.pods.remove(`ns/${pod.metadata.name}`);
    await c.settle();
    expect(c.live()).toHaveLength(1);
    expect(c.job().status?.terminating).toBe(0);
  });

  it('TerminatingOrFailed: the replacement comes at once', async () => {
    const c = cluster({ parallelism: 1, completions: 2, podReplacementPolicy: 'TerminatingOrFailed' });
    await c.settle();
    terminate(c);
    await c.settle();
    expect(c.live()).toHaveLength(1);
    expect(c.job().status?.terminating).toBe(1);
  });
});
