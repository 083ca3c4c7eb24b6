import type { Job } from 'kubernetes-types/batch/v1.js';
import type { PodCondition } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { type Cluster, type PodObject, podsOf, res, startCluster, until } from './harness.js';

type JobObject = Job & KubeObject;
const JOBS = res('jobs', 'batch');
const PODS = res('pods');
const INDEX = 'batch.kubernetes.io/job-completion-index';
const FAILURES = 'batch.kubernetes.io/job-index-failure-count';

let c: Cluster;

beforeAll(async () => {
  // Only the job controller: the pods stay unbound and this test plays their kubelet.
  c = await startCluster(['job']);
});
afterAll(async () => {
  await c?.stop();
});

function job(name: string, spec: Partial<Job['spec']>): JobObject {
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: { name },
    spec: {
      template: {
        metadata: { labels: { job: name } },
        spec: { restartPolicy: 'Never', containers: [{ name: 'main', image: 'busybox' }] },
      },
      ...spec,
    },
  } as JobObject;
}

const getJob = (name: string) => c.api.get<JobObject>(JOBS, name, { namespace: 'default' });
const conditionOf = (j: JobObject, type: string) =>
  j.status?.conditions?.find((x) => x.type === type && x.status === 'True');

/** The live (not finished, not deleted) pods of a job. */
async function live(name: string): Promise<PodObject[]> {
  return (await podsOf(c.api, 'default', `job=${name}`)).filter(
    (p) => !['Succeeded', 'Failed'].includes(p.status?.phase ?? '') && !p.metadata.deletionTimestamp,
  );
}

/** Ends the pod as its kubelet would: container `main` exits with `exitCode`. */
async function finish(pod: PodObject, exitCode: number, conditions: PodCondition[] = []): Promise<void> {
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const fresh = await c.api.get<PodObject>(PODS, pod.metadata.name ?? '', { namespace: 'default' });
  await c.api.updateStatus(PODS, {
    ...fresh,
    status: {
      phase: exitCode === 0 ? 'Succeeded' : 'Failed',
      conditions,
      containerStatuses: [
        {
          name: 'main',
          image: 'busybox',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              startedAt: now,
              finishedAt: now,
            },
          },
        },
      ],
    },
  } as PodObject);
}

const podOfIndex = async (name: string, index: number): Promise<PodObject> =>
  until(
    async () => (await live(name)).find((p) => p.metadata.annotations?.[INDEX] === String(index)),
    `a pod for index ${index} of ${name}`,
  );

describe('job podFailurePolicy', () => {
  it('FailJob on exit code 42 fails the job with reason PodFailurePolicy and deletes the other pods', async () => {
    await c.api.create(
      JOBS,
      job('fj', {
        parallelism: 2,
        completions: 4,
        podFailurePolicy: {
          rules: [
            { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [42] } },
          ],
        },
      }),
      { namespace: 'default' },
    );
    const pods = await until(async () => {
      const ps = await live('fj');
      return ps.length === 2 ? ps : undefined;
    }, 'two pods');
    const victim = pods[0] as PodObject;
    await finish(victim, 42);
    const failed = await until(async () => {
      const j = await getJob('fj');
      return conditionOf(j, 'Failed') ? j : undefined;
    }, 'job failed');
    const message = `Container main for pod default/${victim.metadata.name} failed with exit code 42 matching FailJob rule at index 0`;
    expect(conditionOf(failed, 'Failed')).toMatchObject({ reason: 'PodFailurePolicy', message });
    expect(conditionOf(failed, 'FailureTarget')).toMatchObject({ reason: 'PodFailurePolicy', message });
    expect(failed.status?.failed).toBe(1);
    await until(async () => (await live('fj')).length === 0, 'the other pod deleted');
  });

  it('Ignore (DisruptionTarget) is not counted against backoffLimit; Count is', async () => {
    await c.api.create(
      JOBS,
      job('ign', {
        backoffLimit: 0,
        podFailurePolicy: {
          rules: [
            { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] },
            { action: 'Count', onExitCodes: { operator: 'NotIn', values: [0] } },
          ],
        },
      }),
      { namespace: 'default' },
    );
    const first = await until(async () => (await live('ign'))[0], 'first pod');
    await finish(first, 137, [{ type: 'DisruptionTarget', status: 'True', reason: 'EvictionByEvictionAPI' }]);
    const second = await until(
      async () => (await live('ign')).find((p) => p.metadata.uid !== first.metadata.uid),
      'a replacement pod',
    );
    await until(async () => {
      const p = await c.api.get<PodObject>(PODS, first.metadata.name ?? '', { namespace: 'default' });
      return !(p.metadata.finalizers ?? []).includes('batch.kubernetes.io/job-tracking');
    }, 'ignored pod released');
    let j = await getJob('ign');
    expect(j.status?.failed ?? 0).toBe(0);
    expect(conditionOf(j, 'Failed')).toBeUndefined();
    await finish(second, 1);
    j = await until(async () => {
      const x = await getJob('ign');
      return conditionOf(x, 'Failed') ? x : undefined;
    }, 'job failed on the counted failure');
    expect(conditionOf(j, 'Failed')?.reason).toBe('BackoffLimitExceeded');
    expect(j.status?.failed).toBe(1);
  });
});

describe('job backoffLimitPerIndex', () => {
  it('retries an index with its failure count, then fails it; finished with failed indexes -> FailedIndexes', async () => {
    await c.api.create(
      JOBS,
      job('per', { completionMode: 'Indexed', completions: 3, parallelism: 3, backoffLimitPerIndex: 1 }),
      { namespace: 'default' },
    );
    const first = await podOfIndex('per', 0);
    expect(first.metadata.annotations?.[FAILURES]).toBe('0');
    await finish(first, 1);
    const retry = await until(async () => {
      const p = await podOfIndex('per', 0);
      return p.metadata.uid !== first.metadata.uid ? p : undefined;
    }, 'index 0 retried');
    expect(retry.metadata.annotations?.[FAILURES]).toBe('1');
    await finish(retry, 1);
    await until(async () => (await getJob('per')).status?.failedIndexes === '0', 'index 0 failed');
    // Not retried again.
    await new Promise((r) => setTimeout(r, 700));
    expect((await live('per')).some((p) => p.metadata.annotations?.[INDEX] === '0')).toBe(false);
    expect(conditionOf(await getJob('per'), 'Failed')).toBeUndefined();
    await finish(await podOfIndex('per', 1), 0);
    await finish(await podOfIndex('per', 2), 0);
    const j = await until(async () => {
      const x = await getJob('per');
      return conditionOf(x, 'Failed') ? x : undefined;
    }, 'job failed');
    expect(conditionOf(j, 'Failed')).toMatchObject({
      reason: 'FailedIndexes',
      message: 'Job has failed indexes',
    });
    expect(j.status).toMatchObject({ completedIndexes: '1-2', failedIndexes: '0', succeeded: 2, failed: 2 });
  });

  it('FailIndex fails an index at once; more than maxFailedIndexes fails the job', async () => {
    await c.api.create(
      JOBS,
      job('maxf', {
        completionMode: 'Indexed',
        completions: 4,
        parallelism: 4,
        backoffLimitPerIndex: 3,
        maxFailedIndexes: 1,
        podFailurePolicy: { rules: [{ action: 'FailIndex', onExitCodes: { operator: 'In', values: [7] } }] },
      }),
      { namespace: 'default' },
    );
    await finish(await podOfIndex('maxf', 1), 7);
    await until(async () => (await getJob('maxf')).status?.failedIndexes === '1', 'index 1 failed');
    expect(conditionOf(await getJob('maxf'), 'Failed')).toBeUndefined();
    await finish(await podOfIndex('maxf', 3), 7);
    const j = await until(async () => {
      const x = await getJob('maxf');
      return conditionOf(x, 'Failed') ? x : undefined;
    }, 'job failed');
    expect(conditionOf(j, 'Failed')).toMatchObject({
      reason: 'MaxFailedIndexesExceeded',
      message: 'Job has exceeded the specified maximal number of failed indexes',
    });
    expect(j.status?.failedIndexes).toBe('1,3');
    await until(async () => (await live('maxf')).length === 0, 'remaining pods deleted');
  });
});
