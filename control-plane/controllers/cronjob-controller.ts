import { isDeepStrictEqual } from 'node:util';
import type { CronJob, CronJobStatus } from 'kubernetes-types/batch/v1.js';
import type { ObjectReference } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { compareStrings } from '../../api/compare-strings.js';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf, controllerRefTo, timestamp } from './controller-ref.js';
import { CronSchedule } from './cron-schedule.js';
import { OWNER_UID_INDEX } from './informer-factory.js';
import { type JobObject, jobFinished } from './job-controller.js';
import { CRON_JOBS, JOBS } from './resources.js';

export type CronJobObject = CronJob & KubeObject;

export const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** Job names carry the scheduled time in minutes since the epoch, as upstream. */
export function jobNameFor(cronJob: string, scheduledMs: number): string {
  return `${cronJob}-${Math.floor(scheduledMs / 60_000)}`;
}

function failed(job: JobObject): boolean {
  return (job.status?.conditions ?? []).some((c) => c.type === 'Failed' && c.status === 'True');
}

function finishedAt(job: JobObject): number {
  const t = Date.parse(
    job.status?.completionTime ??
      job.status?.conditions?.find((c) => c.status === 'True')?.lastTransitionTime ??
      '',
  );
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Creates Jobs on a CronJob's schedule (in its time zone): the latest missed start within
 * startingDeadlineSeconds, under the concurrency policy (Allow, Forbid, Replace), then trims
 * finished Jobs to the history limits and keeps status.active and the last times.
 */
export class CronJobController {
  constructor(
    private readonly d: {
      cronJobs: Store<CronJobObject>;
      jobs: Store<JobObject>;
      api: ApiClient;
      events: EventRecorder;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const cj = this.d.cronJobs.get(key);
    if (!cj || cj.metadata.deletionTimestamp) return;
    const now = this.d.clock.now();
    const jobs = this.d.jobs
      .byIndex(OWNER_UID_INDEX, cj.metadata.uid ?? '')
      .filter((j) => controllerRefOf(j)?.uid === cj.metadata.uid);
    const status: CronJobStatus = structuredClone(cj.status ?? {}) as CronJobStatus;
    let active = jobs.filter((j) => !jobFinished(j) && !j.metadata.deletionTimestamp);
    const succeeded = jobs.filter((j) => jobFinished(j) && !failed(j));
    const lastSuccess = Math.max(0, ...succeeded.map(finishedAt));
    if (lastSuccess > 0) status.lastSuccessfulTime = timestamp(lastSuccess);

    await this.trimHistory(cj, jobs);

    let schedule: CronSchedule;
    try {
      schedule = new CronSchedule(cj.spec?.schedule ?? '', cj.spec?.timeZone ?? undefined);
    } catch (e) {
      // A bad schedule is the user's to fix: say so once, do not retry.
      this.d.events.event(
        cj,
        'Warning',
        'UnparseableSchedule',
        `unparseable schedule: ${(e as Error).message}`,
      );
      status.active = refs(active);
      await this.writeStatus(cj, status);
      return;
    }

    if (!cj.spec?.suspend) {
      const since = Date.parse(cj.status?.lastScheduleTime ?? cj.metadata.creationTimestamp ?? '') || now;
      const { time, missed } = schedule.mostRecent(since, now);
      if (missed > 100) {
        this.d.events.event(
          cj,
          'Warning',
          'TooManyMissedTimes',
          `too many missed start times: ${missed}. Set or decrease .spec.startingDeadlineSeconds or check clock skew`,
        );
      }
      const deadline = cj.spec?.startingDeadlineSeconds;
      const tooLate =
        time !== undefined && deadline !== undefined && deadline !== null && time < now - deadline * 1000;
      if (time !== undefined && tooLate) {
        this.d.events.event(
          cj,
          'Warning',
          'MissSchedule',
          `Missed scheduled time to start a job: ${timestamp(time)}`,
        );
      } else if (time !== undefined) {
        active = await this.start(cj, time, active, status);
      }
    }

    status.active = refs(active);
    if (status.active.length === 0) delete status.active;
    await this.writeStatus(cj, status);

    const next = cj.spec?.suspend ? undefined : schedule.next(now);
    if (next !== undefined) this.d.queue.addAfter(key, next - now + 100);
  }

  /** Starts the job of `time` under the concurrency policy; returns the active jobs after. */
  private async start(
    cj: CronJobObject,
    time: number,
    active: JobObject[],
    status: CronJobStatus,
  ): Promise<JobObject[]> {
    const name = jobNameFor(cj.metadata.name ?? '', time);
    if (active.some((j) => j.metadata.name === name) || this.d.jobs.get(`${cj.metadata.namespace}/${name}`)) {
      status.lastScheduleTime = timestamp(time);
      return active;
    }
    const policy = cj.spec?.concurrencyPolicy ?? 'Allow';
    if (policy === 'Forbid' && active.length > 0) {
      this.d.events.event(
        cj,
        'Normal',
        'JobAlreadyActive',
        'Not starting job because prior execution is running and concurrency policy is Forbid',
      );
      return active;
    }
    let remaining = active;
    if (policy === 'Replace' && active.length > 0) {
      for (const j of active) {
        try {
          await this.d.api.delete(JOBS, j.metadata.name ?? '', {
            namespace: j.metadata.namespace,
            propagationPolicy: 'Background',
          });
          this.d.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (e) {
          if (!isStatusError(e, 'NotFound')) throw e;
        }
      }
      remaining = [];
    }
    const template = cj.spec?.jobTemplate;
    const job: JobObject = {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name,
        namespace: cj.metadata.namespace,
        labels: { ...(template?.metadata?.labels ?? {}) },
        annotations: {
          ...(template?.metadata?.annotations ?? {}),
          [SCHEDULED_TIMESTAMP_ANNOTATION]: timestamp(time),
        },
        ownerReferences: [controllerRefTo(cj, 'batch/v1', 'CronJob')],
      },
      spec: structuredClone(template?.spec) as JobObject['spec'],
    };
    let created: JobObject;
    try {
      created = await this.d.api.create<JobObject>(JOBS, job, { namespace: cj.metadata.namespace });
      this.d.events.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${name}`);
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) {
        this.d.events.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
        throw e;
      }
      created = await this.d.api.get<JobObject>(JOBS, name, { namespace: cj.metadata.namespace });
    }
    status.lastScheduleTime = timestamp(time);
    return [...remaining, created];
  }

  private async trimHistory(cj: CronJobObject, jobs: JobObject[]): Promise<void> {
    const finished = jobs.filter((j) => jobFinished(j) && !j.metadata.deletionTimestamp);
    const groups: [JobObject[], number][] = [
      [finished.filter((j) => !failed(j)), cj.spec?.successfulJobsHistoryLimit ?? 3],
      [finished.filter(failed), cj.spec?.failedJobsHistoryLimit ?? 1],
    ];
    for (const [list, limit] of groups) {
      const excess = list.length - limit;
      if (excess <= 0) continue;
      list.sort((a, b) => finishedAt(a) - finishedAt(b));
      for (const j of list.slice(0, excess)) {
        try {
          await this.d.api.delete(JOBS, j.metadata.name ?? '', {
            namespace: j.metadata.namespace,
            propagationPolicy: 'Background',
          });
          this.d.events.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${j.metadata.name}`);
        } catch (e) {
          if (!isStatusError(e, 'NotFound')) throw e;
        }
      }
    }
  }

  private async writeStatus(cj: CronJobObject, status: CronJobStatus): Promise<void> {
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
    if (isDeepStrictEqual(plain(status), plain(cj.status))) return;
    try {
      await this.d.api.updateStatus(CRON_JOBS, { ...structuredClone(cj), status } as CronJobObject);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}

function refs(jobs: JobObject[]): ObjectReference[] {
  return jobs
    .map((j) => ({
      apiVersion: 'batch/v1',
      kind: 'Job',
      name: j.metadata.name,
      namespace: j.metadata.namespace,
      uid: j.metadata.uid,
      resourceVersion: j.metadata.resourceVersion,
    }))
    .sort((a, b) => compareStrings(a.name ?? '', b.name ?? ''));
}

export const cronJobEntry: ControllerEntry = {
  name: 'cronjob',
  aliases: ['cronjob-controller'],
  start(ctx) {
    const cronJobs = ctx.informers.informerFor<CronJobObject>(CRON_JOBS);
    const jobs = ctx.informers.informerFor<JobObject>(JOBS);
    const queue = ctx.newQueue();
    cronJobs.addEventHandler({
      onAdd: (c) => queue.add(keyOf(c)),
      onUpdate: (_o, c) => queue.add(keyOf(c)),
    });
    const forJob = (j: JobObject): void => {
      const ref = controllerRefOf(j);
      if (ref?.kind === 'CronJob') queue.add(`${j.metadata.namespace}/${ref.name}`);
    };
    jobs.addEventHandler({ onAdd: forJob, onUpdate: (_o, j) => forJob(j), onDelete: forJob });
    ctx.runWorkers(
      queue,
      new CronJobController({
        cronJobs: cronJobs.store,
        jobs: jobs.store,
        api: ctx.api,
        events: ctx.events,
        queue,
        clock: ctx.clock,
        log: ctx.log,
      }),
    );
  },
};
