import { isDeepStrictEqual } from 'node:util';
import type { Job, JobCondition, JobStatus } from 'kubernetes-types/batch/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import { formatIndexes, parseIndexes } from './completed-indexes.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf, controllerRefTo, timestamp } from './controller-ref.js';
import { Expectations } from './expectations.js';
import { OWNER_UID_INDEX } from './informer-factory.js';
import {
  failureTime,
  hasBackoffLimitPerIndex,
  INDEX_FAILURE_COUNT_ANNOTATION,
  INDEX_IGNORED_FAILURE_COUNT_ANNOTATION,
  isIndexFailed,
  isPodFailed,
  lastFailedPodPerIndex,
  matchFailedPod,
  nextIndexFailureCounts,
} from './job-index-failures.js';
import { enqueueControllersOfPods, enqueueOwners } from './owned-pod-events.js';
import { PodControl } from './pod-control.js';
import { podsToDelete } from './pod-ranking.js';
import { isPodReady } from './pod-state.js';
import type { PodObject } from './replicaset-controller.js';
import { JOBS, PODS } from './resources.js';
import { slowStartBatch } from './slow-start.js';

export type JobObject = Job & KubeObject;

/** Pods keep this finalizer until their outcome is counted in the job status. */
export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';

export const COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';

function isIndexed(job: Job): boolean {
  return job.spec?.completionMode === 'Indexed';
}

/** The completion index of a pod of an Indexed job. */
export function indexOf(pod: PodObject): number | undefined {
  const raw = pod.metadata.annotations?.[COMPLETION_INDEX_ANNOTATION];
  const n = Number(raw);
  return raw !== undefined && Number.isInteger(n) && n >= 0 ? n : undefined;
}

/** Upstream's pod failure back-off: 10 s doubling up to 6 min. */
export const DEFAULT_BACKOFF_BASE_MS = 10_000;
export const MAX_BACKOFF_MS = 360_000;

function condition(status: JobStatus | undefined, type: string): JobCondition | undefined {
  return status?.conditions?.find((c) => c.type === type && c.status === 'True');
}

export function jobFinished(job: Job): boolean {
  return Boolean(condition(job.status, 'Complete') || condition(job.status, 'Failed'));
}

/** How many pods should run now (NonIndexed completion mode). */
export function wantedActive(job: Job, succeeded: number): number {
  if (job.spec?.suspend) return 0;
  const parallelism = job.spec?.parallelism ?? 1;
  const completions = job.spec?.completions;
  if (completions === undefined || completions === null) return succeeded > 0 ? 0 : parallelism;
  return Math.max(0, Math.min(parallelism, completions - succeeded));
}

/** The delay before replacing failed pods: base·2^(failures-1), capped. */
export function failureBackoffMs(failures: number, baseMs: number): number {
  if (failures <= 0) return 0;
  return Math.min(MAX_BACKOFF_MS, baseMs * 2 ** Math.min(failures - 1, 30));
}

/**
 * Runs Jobs (NonIndexed and Indexed): keeps up to parallelism pods until completions succeed,
 * counts pod outcomes through the job-tracking finalizer (uncountedTerminatedPods first, so a
 * crash never counts twice), applies the podFailurePolicy to failed pods, fails on backoffLimit,
 * activeDeadlineSeconds, backoffLimitPerIndex/maxFailedIndexes, and removes finished jobs after
 * ttlSecondsAfterFinished.
 */
export class JobController {
  constructor(
    private readonly d: {
      jobs: Store<JobObject>;
      pods: Store<PodObject>;
      api: ApiClient;
      expectations: Expectations;
      events: EventRecorder;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
      backoffBaseMs?: number;
    },
  ) {
    this.pods = new PodControl(d);
  }

  private readonly pods: PodControl;

  async sync(key: string): Promise<void> {
    const job = this.d.jobs.get(key);
    if (!job) {
      this.d.expectations.forget(key);
      return;
    }
    const pods = this.d.pods
      .byIndex(OWNER_UID_INDEX, job.metadata.uid ?? '')
      .filter((p) => controllerRefOf(p)?.uid === job.metadata.uid);
    const now = this.d.clock.now();
    const nowText = timestamp(now);
    const status: JobStatus = structuredClone(job.status ?? {}) as JobStatus;

    if (jobFinished(job)) {
      // Pods deleted on finishing are not outcomes: just let them go.
      for (const pod of pods) await this.releasePod(pod);
      if (status.uncountedTerminatedPods) delete status.uncountedTerminatedPods;
      status.active = 0;
      status.terminating = pods.filter(isTerminating).length;
      status.ready = 0;
      await this.writeStatus(job, status);
      await this.expireFinished(job, now);
      return;
    }

    // Count finished pods still holding the finalizer, recording their uids first.
    const uncounted = {
      succeeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []),
      failed: new Set(status.uncountedTerminatedPods?.failed ?? []),
    };
    let counted = false;
    // Once the job is decided (FailureTarget / SuccessCriteriaMet), the pods it deletes are not
    // outcomes: they are let go uncounted, and the final condition waits until they are gone.
    const deciding = Boolean(condition(status, 'FailureTarget') || condition(status, 'SuccessCriteriaMet'));
    const doneIndexes = parseIndexes(status.completedIndexes);
    for (const pod of pods) {
      const uid = pod.metadata.uid ?? '';
      if (!(pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) continue;
      if (uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) continue;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded') {
        uncounted.succeeded.add(uid);
        status.succeeded = (status.succeeded ?? 0) + 1;
        const index = indexOf(pod);
        if (isIndexed(job) && index !== undefined && index < (job.spec?.completions ?? 0))
          doneIndexes.add(index);
        counted = true;
      } else if (deciding && isTerminating(pod)) {
        await this.releasePod(pod);
      } else if (isPodFailed(pod)) {
        const match = matchFailedPod(job, pod);
        if (!match.countFailed) {
          // Ignored by the pod failure policy: nothing to count, the finalizer just goes.
          await this.releasePod(pod);
          continue;
        }
        if (match.failJobMessage && !condition(status, 'FailureTarget')) {
          // Recorded with the count, so the reason survives the pod's finalizer going.
          setTrue(status, 'FailureTarget', 'PodFailurePolicy', match.failJobMessage, nowText);
        }
        uncounted.failed.add(uid);
        status.failed = (status.failed ?? 0) + 1;
        counted = true;
      }
    }
    const failedIndexes = parseIndexes(status.failedIndexes);
    if (hasBackoffLimitPerIndex(job)) {
      const completions = job.spec?.completions ?? 0;
      for (const pod of pods) {
        const index = indexOf(pod);
        if (index === undefined || index >= completions || doneIndexes.has(index)) continue;
        if (isIndexFailed(job, pod)) failedIndexes.add(index);
      }
      status.failedIndexes = formatIndexes(failedIndexes);
    }
    if (isIndexed(job)) {
      // An index that succeeded twice counts once.
      status.succeeded = doneIndexes.size;
      const text = formatIndexes(doneIndexes);
      if (text) status.completedIndexes = text;
    }
    if (counted) {
      status.uncountedTerminatedPods = { succeeded: [...uncounted.succeeded], failed: [...uncounted.failed] };
      await this.writeStatus(job, status);
      return; // the status event brings us back to release the finalizers
    }
    if (uncounted.succeeded.size + uncounted.failed.size > 0) {
      for (const pod of pods) {
        const uid = pod.metadata.uid ?? '';
        if (uncounted.succeeded.has(uid) || uncounted.failed.has(uid)) await this.releasePod(pod);
      }
      delete status.uncountedTerminatedPods;
    }

    const active = pods.filter((p) => {
      const phase = p.status?.phase;
      return phase !== 'Succeeded' && phase !== 'Failed' && !p.metadata.deletionTimestamp;
    });
    const succeeded = status.succeeded ?? 0;
    const failed = status.failed ?? 0;

    if (!job.spec?.suspend && !status.startTime) status.startTime = nowText;
    const successMet = condition(status, 'SuccessCriteriaMet');
    const failure = successMet
      ? undefined
      : this.failureReason(job, status, failed, now, doneIndexes, failedIndexes);
    const completions = job.spec?.completions;
    const complete =
      Boolean(successMet) ||
      (completions === undefined || completions === null
        ? succeeded > 0 && active.length === 0
        : succeeded >= completions);
    if (failure || complete) {
      // As upstream since 1.31: the interim condition first, the terminal one once every pod
      // the job deleted has terminated.
      await this.deletePods(job, active);
      const terminating = pods.filter(isTerminating).length + active.length;
      status.terminating = terminating;
      status.active = 0;
      status.ready = 0;
      if (failure) setTrue(status, 'FailureTarget', failure.reason, failure.message, nowText);
      else setTrue(status, 'SuccessCriteriaMet', 'CompletionsReached', COMPLETED_MESSAGE, nowText);
      if (terminating > 0) {
        await this.writeStatus(job, status);
        return; // the pods' deletions bring us back
      }
      if (failure) {
        setTrue(status, 'Failed', failure.reason, failure.message, nowText);
        this.d.events.event(job, 'Warning', failure.reason, failure.message);
      } else {
        setTrue(status, 'Complete', 'CompletionsReached', COMPLETED_MESSAGE, nowText);
        status.completionTime = nowText;
        this.d.events.event(job, 'Normal', 'Completed', 'Job completed');
      }
    } else {
      let error: unknown;
      if (this.d.expectations.satisfied(key)) {
        try {
          await this.manage(key, job, pods, active, { succeeded, failed, now, doneIndexes, failedIndexes });
        } catch (e) {
          error = e;
        }
      }
      status.active = active.length;
      status.terminating = pods.filter(isTerminating).length;
      status.ready = active.filter(isPodReady).length;
      await this.writeStatus(job, status);
      this.requeueForDeadline(key, job, status, now);
      if (error) throw error;
      return;
    }
    await this.writeStatus(job, status);
    await this.expireFinished({ ...job, status } as JobObject, now);
  }

  private failureReason(
    job: JobObject,
    status: JobStatus,
    failed: number,
    now: number,
    doneIndexes: Set<number>,
    failedIndexes: Set<number>,
  ): { reason: string; message: string } | undefined {
    const target = condition(status, 'FailureTarget');
    if (target) return { reason: target.reason ?? 'PodFailurePolicy', message: target.message ?? '' };
    if (failed > (job.spec?.backoffLimit ?? 6)) {
      return { reason: 'BackoffLimitExceeded', message: 'Job has reached the specified backoff limit' };
    }
    const deadline = job.spec?.activeDeadlineSeconds;
    const start = status.startTime ? Date.parse(status.startTime) : Number.NaN;
    if (deadline !== undefined && !Number.isNaN(start) && now - start >= deadline * 1000) {
      return { reason: 'DeadlineExceeded', message: 'Job was active longer than specified deadline' };
    }
    if (hasBackoffLimitPerIndex(job)) {
      const max = job.spec?.maxFailedIndexes;
      if (max !== undefined && max !== null && failedIndexes.size > max) {
        return {
          reason: 'MaxFailedIndexesExceeded',
          message: 'Job has exceeded the specified maximal number of failed indexes',
        };
      }
      if (failedIndexes.size > 0 && failedIndexes.size + doneIndexes.size >= (job.spec?.completions ?? 0)) {
        return { reason: 'FailedIndexes', message: 'Job has failed indexes' };
      }
    }
    return undefined;
  }

  private async manage(
    key: string,
    job: JobObject,
    pods: PodObject[],
    active: PodObject[],
    st: {
      succeeded: number;
      failed: number;
      now: number;
      doneIndexes: Set<number>;
      failedIndexes: Set<number>;
    },
  ): Promise<void> {
    const { doneIndexes, failedIndexes, now } = st;
    const creations: PodCreation[] = [];
    // podReplacementPolicy Failed (the default with a podFailurePolicy): a pod being deleted is
    // replaced only once it is terminal or gone.
    const waitTerminating = job.spec?.podReplacementPolicy === 'Failed';
    const terminating = waitTerminating ? pods.filter(isTerminating) : [];
    let diff: number;
    if (isIndexed(job)) {
      // One pod per index: duplicates and pods of finished or failed indexes go; missing indexes come.
      const completions = job.spec?.completions ?? 0;
      const seen = new Set<number>();
      const extra: PodObject[] = [];
      for (const pod of active) {
        const i = indexOf(pod);
        if (i === undefined || seen.has(i) || doneIndexes.has(i) || failedIndexes.has(i) || i >= completions)
          extra.push(pod);
        else seen.add(i);
      }
      for (const pod of terminating) {
        const i = indexOf(pod);
        if (i !== undefined) seen.add(i);
      }
      if (extra.length > 0) {
        await this.deletePods(job, extra);
        return;
      }
      const room = job.spec?.suspend ? 0 : (job.spec?.parallelism ?? 1) - active.length - terminating.length;
      const perIndex = hasBackoffLimitPerIndex(job);
      const lastFailed = perIndex ? lastFailedPodPerIndex(pods, indexOf) : new Map<number, PodObject>();
      let wait = Number.POSITIVE_INFINITY;
      for (let i = 0; i < completions && creations.length < room; i++) {
        if (seen.has(i) || doneIndexes.has(i) || failedIndexes.has(i)) continue;
        if (!perIndex) {
          creations.push({ index: i });
          continue;
        }
        // Each index backs off on its own failures.
        const replaced = lastFailed.get(i);
        const counts = nextIndexFailureCounts(job, replaced);
        const failures = counts.failures + counts.ignored;
        const left = replaced
          ? failureTime(replaced) +
            failureBackoffMs(failures, this.d.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS) -
            now
          : 0;
        if (left > 0) wait = Math.min(wait, left);
        else creations.push({ index: i, counts });
      }
      if (perIndex && Number.isFinite(wait)) this.d.queue.addAfter(key, wait);
      diff = creations.length;
      if (!perIndex && diff > 0) {
        const left = this.backoffRemaining(pods, st.failed, now);
        if (left > 0) {
          this.d.queue.addAfter(key, left);
          return;
        }
      }
    } else {
      diff = wantedActive(job, st.succeeded) - active.length;
      if (diff < 0) {
        await this.deletePods(job, podsToDelete(active, -diff));
        return;
      }
      diff = Math.max(0, diff - terminating.length);
      // After failures, new pods wait for the back-off since the last failure.
      const left = diff > 0 ? this.backoffRemaining(pods, st.failed, now) : 0;
      if (left > 0) {
        this.d.queue.addAfter(key, left);
        return;
      }
      for (let i = 0; i < diff; i++) creations.push({});
    }
    if (diff <= 0) return;
    this.d.expectations.expectCreations(key, diff);
    let next = 0;
    const result = await slowStartBatch(diff, 1, () => this.createPod(job, creations[next++] ?? {}));
    for (let i = result.succeeded; i < diff; i++) this.d.expectations.creationObserved(key);
    if (result.error) throw result.error;
  }

  private backoffRemaining(pods: PodObject[], failed: number, now: number): number {
    if (failed === 0) return 0;
    let last = 0;
    for (const pod of pods) {
      if (pod.status?.phase === 'Failed') last = Math.max(last, failureTime(pod));
    }
    if (last === 0) return 0;
    return last + failureBackoffMs(failed, this.d.backoffBaseMs ?? DEFAULT_BACKOFF_BASE_MS) - now;
  }

  private async createPod(job: JobObject, creation: PodCreation): Promise<void> {
    const { index, counts } = creation;
    const template = job.spec?.template;
    const spec = structuredClone(template?.spec ?? { containers: [] }) as NonNullable<PodObject['spec']>;
    const annotations: Record<string, string> = { ...(template?.metadata?.annotations ?? {}) };
    const labels: Record<string, string> = { ...(template?.metadata?.labels ?? {}) };
    if (index !== undefined) {
      annotations[COMPLETION_INDEX_ANNOTATION] = String(index);
      labels[COMPLETION_INDEX_ANNOTATION] = String(index);
      if (counts) {
        annotations[INDEX_FAILURE_COUNT_ANNOTATION] = String(counts.failures);
        if (counts.ignored > 0) annotations[INDEX_IGNORED_FAILURE_COUNT_ANNOTATION] = String(counts.ignored);
      }
      spec.hostname ??= `${job.metadata.name}-${index}`;
      const env = {
        name: 'JOB_COMPLETION_INDEX',
        valueFrom: { fieldRef: { fieldPath: `metadata.annotations['${COMPLETION_INDEX_ANNOTATION}']` } },
      };
      for (const c of [...(spec.initContainers ?? []), ...spec.containers]) c.env = [...(c.env ?? []), env];
    }
    const pod: PodObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: index === undefined ? `${job.metadata.name}-` : `${job.metadata.name}-${index}-`,
        namespace: job.metadata.namespace,
        labels,
        annotations,
        finalizers: [...(template?.metadata?.finalizers ?? []), JOB_TRACKING_FINALIZER],
        ownerReferences: [controllerRefTo(job, 'batch/v1', 'Job')],
      },
      spec,
    };
    await this.pods.create(job, pod);
  }

  private async deletePods(job: JobObject, pods: PodObject[]): Promise<void> {
    for (const pod of pods) {
      await this.pods.delete(job, pod);
    }
  }

  /** Drops the tracking finalizer once the pod's outcome is in the status. */
  private async releasePod(pod: PodObject): Promise<void> {
    if (!(pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER)) return;
    const copy = structuredClone(pod) as PodObject;
    copy.metadata.finalizers = (copy.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
    try {
      await this.d.api.update(PODS, copy);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }

  private requeueForDeadline(key: string, job: JobObject, status: JobStatus, now: number): void {
    const deadline = job.spec?.activeDeadlineSeconds;
    const start = status.startTime ? Date.parse(status.startTime) : Number.NaN;
    if (deadline === undefined || Number.isNaN(start)) return;
    this.d.queue.addAfter(key, Math.max(0, start + deadline * 1000 - now) + 100);
  }

  /** ttlSecondsAfterFinished: delete the job (and, in the background, its pods) when due. */
  private async expireFinished(job: JobObject, now: number): Promise<void> {
    const ttl = job.spec?.ttlSecondsAfterFinished;
    if (ttl === undefined || ttl === null) return;
    const finished = condition(job.status, 'Complete') ?? condition(job.status, 'Failed');
    const at = Date.parse(job.status?.completionTime ?? finished?.lastTransitionTime ?? '');
    if (Number.isNaN(at)) return;
    const due = at + ttl * 1000 - now;
    if (due > 0) {
      this.d.queue.addAfter(keyOf(job), due + 100);
      return;
    }
    try {
      await this.d.api.delete(JOBS, job.metadata.name ?? '', {
        namespace: job.metadata.namespace,
        propagationPolicy: 'Background',
        preconditions: { uid: job.metadata.uid },
      });
      this.d.log.info({ job: keyOf(job) }, 'deleted finished job after its TTL');
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }

  private async writeStatus(job: JobObject, status: JobStatus): Promise<void> {
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
    if (isDeepStrictEqual(plain(status), plain(job.status))) return;
    try {
      await this.d.api.updateStatus(JOBS, { ...structuredClone(job), status } as JobObject);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}

const COMPLETED_MESSAGE = 'Reached expected number of succeeded pods';

/** Being deleted, not yet terminal. */
function isTerminating(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.metadata.deletionTimestamp) && phase !== 'Succeeded' && phase !== 'Failed';
}

interface PodCreation {
  index?: number;
  /** The per-index failure annotations (backoffLimitPerIndex). */
  counts?: { failures: number; ignored: number };
}

function setTrue(status: JobStatus, type: string, reason: string, message: string, now: string): void {
  if (condition(status, type)) return;
  status.conditions = [
    ...(status.conditions ?? []).filter((c) => c.type !== type),
    { type, status: 'True', reason, message, lastProbeTime: now, lastTransitionTime: now },
  ];
}

/** The job entry; tests shorten the failure back-off. */
export function jobEntry(opts: { backoffBaseMs?: number } = {}): ControllerEntry {
  return {
    name: 'job',
    aliases: ['job-controller'],
    start(ctx) {
      const jobs = ctx.informers.informerFor<JobObject>(JOBS);
      const pods = ctx.informers.informerFor<PodObject>(PODS);
      const queue = ctx.newQueue();
      const expectations = new Expectations(ctx.clock);
      enqueueOwners(jobs, queue, expectations);
      enqueueControllersOfPods(pods, 'Job', queue, expectations);
      ctx.runWorkers(
        queue,
        new JobController({
          jobs: jobs.store,
          pods: pods.store,
          api: ctx.api,
          expectations,
          events: ctx.events,
          queue,
          clock: ctx.clock,
          log: ctx.log,
          backoffBaseMs: opts.backoffBaseMs,
        }),
      );
    },
  };
}
