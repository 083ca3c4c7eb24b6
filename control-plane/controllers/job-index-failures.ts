import type { Job } from 'kubernetes-types/batch/v1.js';
import { matchPodFailurePolicy } from './job-pod-failure-policy.js';
import type { PodObject } from './replicaset-controller.js';

/** Failures of earlier pods of the same index counted against backoffLimitPerIndex. */
export const INDEX_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-failure-count';
/** Failures of earlier pods of the same index that an Ignore rule left uncounted. */
export const INDEX_IGNORED_FAILURE_COUNT_ANNOTATION = 'batch.kubernetes.io/job-index-ignored-failure-count';

function countAnnotation(pod: PodObject, name: string): number {
  const n = Number(pod.metadata.annotations?.[name]);
  return Number.isInteger(n) && n >= 0 ? n : 0;
}

export function indexFailureCount(pod: PodObject): number {
  return countAnnotation(pod, INDEX_FAILURE_COUNT_ANNOTATION);
}

export function indexIgnoredFailureCount(pod: PodObject): number {
  return countAnnotation(pod, INDEX_IGNORED_FAILURE_COUNT_ANNOTATION);
}

/** A pod that failed, or is going away without having succeeded. */
export function isPodFailed(pod: PodObject): boolean {
  const phase = pod.status?.phase;
  return phase === 'Failed' || (phase !== 'Succeeded' && Boolean(pod.metadata.deletionTimestamp));
}

/** The policy decides only for terminal pods; a pod deleted while running counts as a plain failure. */
export function matchFailedPod(job: Job, pod: PodObject) {
  return pod.status?.phase === 'Failed'
    ? matchPodFailurePolicy(job.spec?.podFailurePolicy, pod)
    : { countFailed: true as const };
}

export function hasBackoffLimitPerIndex(job: Job): boolean {
  return (
    job.spec?.completionMode === 'Indexed' &&
    job.spec.backoffLimitPerIndex !== undefined &&
    job.spec.backoffLimitPerIndex !== null
  );
}

/** True when this failed pod ends its index: a FailIndex rule, or the per-index limit reached. */
export function isIndexFailed(job: Job, pod: PodObject): boolean {
  if (!isPodFailed(pod)) return false;
  const match = matchFailedPod(job, pod);
  if (match.action === 'FailIndex') return true;
  return match.countFailed && indexFailureCount(pod) >= (job.spec?.backoffLimitPerIndex ?? 0);
}

/** The annotations a pod replacing `replaced` (the index's last failed pod) starts with. */
export function nextIndexFailureCounts(
  job: Job,
  replaced: PodObject | undefined,
): { failures: number; ignored: number } {
  if (!replaced) return { failures: 0, ignored: 0 };
  const failures = indexFailureCount(replaced);
  const ignored = indexIgnoredFailureCount(replaced);
  return matchFailedPod(job, replaced).countFailed
    ? { failures: failures + 1, ignored }
    : { failures, ignored: ignored + 1 };
}

/** When a failed pod stopped: its last container finish, else its creation. */
export function failureTime(pod: PodObject): number {
  let last = Date.parse(pod.metadata.creationTimestamp ?? '');
  if (Number.isNaN(last)) last = 0;
  for (const cs of [...(pod.status?.containerStatuses ?? []), ...(pod.status?.initContainerStatuses ?? [])]) {
    const t = Date.parse(cs.state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t)) last = Math.max(last, t);
  }
  return last;
}

/** For each index, its failed pod with the most failures behind it (the one a new pod replaces). */
export function lastFailedPodPerIndex(
  pods: PodObject[],
  indexOf: (pod: PodObject) => number | undefined,
): Map<number, PodObject> {
  const out = new Map<number, PodObject>();
  const weight = (p: PodObject) => indexFailureCount(p) + indexIgnoredFailureCount(p);
  for (const pod of pods) {
    const index = indexOf(pod);
    if (index === undefined || !isPodFailed(pod)) continue;
    const prev = out.get(index);
    if (
      !prev ||
      weight(pod) > weight(prev) ||
      (weight(pod) === weight(prev) && failureTime(pod) > failureTime(prev))
    )
      out.set(index, pod);
  }
  return out;
}
