import type { PodCondition } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type ApiClient, type Clock, rfc3339, type Store, type WorkQueue } from '../../client/index.js';
import type { PodObject } from './replicaset-controller.js';
import { PODS } from './resources.js';

/** Upstream's stalePodDisruptionTimeout: a DisruptionTarget condition older than this with no deletion is stale. */
export const STALE_POD_DISRUPTION_MS = 2 * 60_000;

/**
 * The DisruptionTarget=True condition of a pod that is not being deleted, and when it turns stale
 * (the eviction or preemption that set it never deleted the pod); undefined for other pods.
 */
export function disruptionTargetStaleAt(
  pod: PodObject,
  timeoutMs = STALE_POD_DISRUPTION_MS,
): number | undefined {
  if (pod.metadata.deletionTimestamp) return undefined;
  const c = pod.status?.conditions?.find((x) => x.type === 'DisruptionTarget');
  if (c?.status !== 'True') return undefined;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : Number.NaN;
  return (Number.isNaN(since) ? 0 : since) + timeoutMs;
}

export interface StaleDisruptionDeps {
  pods: Store<PodObject>;
  api: ApiClient;
  queue: WorkQueue<string>;
  clock: Clock;
  log: Logger;
  timeoutMs?: number;
}

/**
 * Part of upstream's disruption controller: a pod marked DisruptionTarget=True (by an eviction or
 * a preemption) that was not deleted within the timeout gets the condition set to False, so
 * nothing goes on treating it as about to go.
 */
export class StaleDisruptionCleaner {
  constructor(private readonly d: StaleDisruptionDeps) {}

  /** Queues the pod for when its condition turns stale (now if it already is). */
  watch(key: string, pod: PodObject): void {
    const at = disruptionTargetStaleAt(pod, this.d.timeoutMs);
    if (at === undefined) return;
    this.d.queue.addAfter(key, Math.max(0, at - this.d.clock.now()));
  }

  async sync(key: string): Promise<void> {
    const pod = this.d.pods.get(key);
    if (!pod) return;
    const now = this.d.clock.now();
    const at = disruptionTargetStaleAt(pod, this.d.timeoutMs);
    if (at === undefined) return;
    if (at > now) {
      this.d.queue.addAfter(key, at - now);
      return;
    }
    const cleared: PodCondition = {
      type: 'DisruptionTarget',
      status: 'False',
      lastTransitionTime: rfc3339(now),
    };
    const conditions = (pod.status?.conditions ?? []).map((c) =>
      c.type === 'DisruptionTarget' ? cleared : c,
    );
    try {
      await this.d.api.updateStatus(PODS, { ...structuredClone(pod), status: { ...pod.status, conditions } });
      this.d.log.info({ pod: key }, 'cleared a stale DisruptionTarget condition');
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return;
      throw e;
    }
  }
}
