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
  CronJobController,
  type CronJobObject,
  jobNameFor,
} from '../../../control-plane/controllers/cronjob-controller.js';
import { OWNER_UID_INDEX } from '../../../control-plane/controllers/informer-factory.js';
import type { JobObject } from '../../../control-plane/controllers/job-controller.js';

const T0 = Date.parse('2024-05-01T10:00:20Z');

function setup(spec: Partial<CronJobObject['spec']>, activeJob = false) {
  const cronJobs = new IndexedStore<CronJobObject>();
  cronJobs.set({
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name: 'cj', namespace: 'ns', uid: 'cj-uid', creationTimestamp: '2024-05-01T10:00:20Z' },
    spec: {
      schedule: '* * * * *',
      jobTemplate: { spec: { template: { spec: { containers: [] } } } },
      ...spec,
    },
  } as CronJobObject);
  const jobs = new IndexedStore<JobObject>({
    [OWNER_UID_INDEX]: (o) => (o.metadata?.ownerReferences ?? []).map((r) => r.uid),
  });
  if (activeJob) {
    jobs.set({
      metadata: {
        name: 'cj-old',
        namespace: 'ns',
        uid: 'old',
        ownerReferences: [
          { apiVersion: 'batch/v1', kind: 'CronJob', name: 'cj', uid: 'cj-uid', controller: true },
        ],
      },
      spec: { template: {} },
      status: {},
    } as JobObject);
  }
  const created: JobObject[] = [];
  const deleted: string[] = [];
  const statuses: KubeObject[] = [];
  const events: string[] = [];
  const api = {
    create: async (_r: unknown, job: JobObject) => {
      created.push(job);
      return { ...job, metadata: { ...job.metadata, uid: 'new' } };
    },
    delete: async (_r: unknown, name: string) => {
      deleted.push(name);
      return {};
    },
    updateStatus: async (_r: unknown, o: KubeObject) => {
      statuses.push(o);
      return o;
    },
  } as unknown as ApiClient;
  const clock = new FakeClock(T0);
  const controller = new CronJobController({
    cronJobs,
    jobs,
    api,
    events: {
      event: (_o: unknown, _t: string, reason: string) => events.push(reason),
    } as unknown as EventRecorder,
    queue: new WorkQueue<string>({ clock }),
    clock,
    log: pino({ level: 'silent' }),
  });
  return { controller, clock, created, deleted, statuses, events };
}

describe('cronjob controller', () => {
  it('starts the job of the latest scheduled minute, named after it', async () => {
    const { controller, clock, created, statuses } = setup({});
    await controller.sync('ns/cj');
    expect(created).toHaveLength(0);
    clock.advance(90_000); // 10:01:50: the 10:01 start is due
    await controller.sync('ns/cj');
    const due = Date.parse('2024-05-01T10:01:00Z');
    expect(created.map((j) => j.metadata.name)).toEqual([jobNameFor('cj', due)]);
    expect(created[0].metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2024-05-01T10:01:00Z',
    );
    expect(created[0].metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'CronJob',
      uid: 'cj-uid',
      controller: true,
    });
    const status = statuses.at(-1)?.status as { lastScheduleTime?: string; active?: unknown[] };
    expect(status.lastScheduleTime).toBe('2024-05-01T10:01:00Z');
    expect(status.active).toHaveLength(1);
  });

  it('Forbid skips while a job runs; Replace deletes it first', async () => {
    const forbid = setup({ concurrencyPolicy: 'Forbid' }, true);
    forbid.clock.advance(90_000);
    await forbid.controller.sync('ns/cj');
    expect(forbid.created).toHaveLength(0);
    expect(forbid.events).toContain('JobAlreadyActive');

    const replace = setup({ concurrencyPolicy: 'Replace' }, true);
    replace.clock.advance(90_000);
    await replace.controller.sync('ns/cj');
    expect(replace.deleted).toEqual(['cj-old']);
    expect(replace.created).toHaveLength(1);
  });

  it('skips a start later than startingDeadlineSeconds', async () => {
    const { controller, clock, created, events } = setup({ startingDeadlineSeconds: 10 });
    clock.advance(90_000); // 50 s after 10:01
    await controller.sync('ns/cj');
    expect(created).toHaveLength(0);
    expect(events).toContain('MissSchedule');
  });

  it('does nothing while suspended', async () => {
    const { controller, clock, created } = setup({ suspend: true });
    clock.advance(300_000);
    await controller.sync('ns/cj');
    expect(created).toHaveLength(0);
  });
});
