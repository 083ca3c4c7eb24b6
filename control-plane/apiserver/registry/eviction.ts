import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Condition, DeleteOptions } from 'kubernetes-types/meta/v1.js';
import type { PodDisruptionBudget, PodDisruptionBudgetStatus } from 'kubernetes-types/policy/v1.js';
import { badRequest, forbidden, StatusError } from '../../../api/errors.js';
import { labelSelectorFromObject } from '../../../api/labels.js';
import type { KubeObject } from '../../../api/object.js';
import type { RequestContext } from './context.js';
import { formatTime, type ResourceStore } from './resource-store.js';

const EVICTION_BLOCKED = "Cannot evict pod as it would violate the pod's disruption budget.";
/** Upstream's MaxDisruptedPodSize: evictions the disruption controller has not confirmed yet. */
const MAX_DISRUPTED_PODS = 2000;

type Pdb = PodDisruptionBudget & KubeObject;

export interface EvictionStores {
  pods: ResourceStore;
  /** Absent when PodDisruptionBudgets are not served: evictions then never check a budget. */
  pdbs?: ResourceStore;
}

/**
 * POST pods/{name}/eviction (upstream's EvictionREST): a pod selected by a PodDisruptionBudget is
 * deleted only when the budget allows one more disruption, which is taken from the budget's status
 * (optimistic concurrency, the pod recorded in disruptedPods) before the pod is deleted with the
 * Eviction's deleteOptions. Pods that are pending, finished or already being deleted skip the budget.
 */
export async function evictPod(
  stores: EvictionStores,
  namespace: string,
  name: string,
  eviction: KubeObject,
  ctx: RequestContext,
): Promise<void> {
  if (eviction.metadata?.name && eviction.metadata.name !== name) {
    throw badRequest('name in URL does not match name in Eviction object');
  }
  const options: DeleteOptions = { ...((eviction.deleteOptions as DeleteOptions | undefined) ?? {}) };
  const dryRun = ctx.dryRun || (options.dryRun ?? []).includes('All');
  const deleteCtx: RequestContext = { ...ctx, dryRun };
  const pod = (await stores.pods.get(namespace, name)) as Pod & KubeObject;
  const remove = async (guardVersion: boolean): Promise<void> => {
    // The budget was judged on this version of the pod: it must not have changed since.
    if (guardVersion && !options.preconditions?.resourceVersion) {
      options.preconditions = {
        ...(options.preconditions ?? {}),
        resourceVersion: pod.metadata.resourceVersion,
      };
    }
    if (!dryRun) {
      const marked = await markDisruptionTarget(stores.pods, namespace, name, options, deleteCtx);
      // The condition write moved the pod on: a version precondition now names that version.
      if (options.preconditions?.resourceVersion) {
        options.preconditions = {
          ...options.preconditions,
          resourceVersion: marked.metadata.resourceVersion,
        };
      }
    }
    await stores.pods.delete(namespace, name, options, deleteCtx);
  };
  if (!stores.pdbs || canIgnoreBudget(pod)) return remove(false);

  const pdbs = (await stores.pdbs.list(namespace, {})).items as Pdb[];
  const matching = pdbs.filter((b) => selects(b, pod));
  if (matching.length > 1) {
    throw new StatusError(
      500,
      'InternalError',
      'This pod has more than one PodDisruptionBudget, which the eviction subresource does not support.',
    );
  }
  const pdb = matching[0];
  if (!pdb) return remove(false);
  if (!isReady(pod)) {
    if (pdb.spec?.unhealthyPodEvictionPolicy === 'AlwaysAllow') return remove(true);
    const s = pdb.status;
    if (s && s.currentHealthy >= s.desiredHealthy && s.desiredHealthy > 0) return remove(true);
  }
  await stores.pdbs.update(
    namespace,
    pdb.metadata.name ?? '',
    (current) => takeDisruption(current as Pdb, name, ctx.now),
    deleteCtx,
    { subresource: 'status' },
  );
  await remove(false);
}

/**
 * The DisruptionTarget condition upstream writes before an eviction's delete (GA in 1.31), so
 * that the pod's controllers and the kubelet can tell an eviction from a failure.
 */
function markDisruptionTarget(
  pods: ResourceStore,
  namespace: string,
  name: string,
  options: DeleteOptions,
  ctx: RequestContext,
): Promise<KubeObject> {
  const at = formatTime(ctx.now);
  return pods.update(
    namespace,
    name,
    (current) => {
      const pod = current as Pod & KubeObject;
      const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'DisruptionTarget');
      const old = pod.status?.conditions?.find((c) => c.type === 'DisruptionTarget');
      conditions.push({
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'EvictionByEvictionAPI',
        message: 'Eviction API: evicting',
        lastTransitionTime: old?.status === 'True' ? old.lastTransitionTime : at,
      });
      return { ...pod, status: { ...(pod.status ?? {}), conditions } } as KubeObject;
    },
    ctx,
    {
      subresource: 'status',
      preconditions: {
        uid: options.preconditions?.uid,
        resourceVersion: options.preconditions?.resourceVersion,
      },
    },
  );
}

/** Pending, finished or already terminating pods do not count against a budget. */
function canIgnoreBudget(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return (
    phase === 'Succeeded' ||
    phase === 'Failed' ||
    phase === 'Pending' ||
    phase === undefined ||
    !!pod.metadata?.deletionTimestamp
  );
}

function isReady(pod: Pod): boolean {
  return (pod.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');
}

/** policy/v1: an empty selector selects every pod of the namespace, a missing one none. */
function selects(pdb: Pdb, pod: Pod): boolean {
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels);
  } catch {
    return false;
  }
}

/** The budget with one disruption taken for `podName`, or the 429/403 that refuses it (upstream's checkAndDecrement). */
function takeDisruption(pdb: Pdb, podName: string, now: Date): Pdb {
  const name = pdb.metadata.name ?? '';
  const status: PodDisruptionBudgetStatus = pdb.status ?? {
    currentHealthy: 0,
    desiredHealthy: 0,
    expectedPods: 0,
    disruptionsAllowed: 0,
  };
  if ((status.observedGeneration ?? 0) < (pdb.metadata.generation ?? 1)) {
    throw tooManyRequests(`The disruption budget ${name} is still being processed by the server.`, 10);
  }
  if (status.disruptionsAllowed < 0) {
    throw forbidden(
      `poddisruptionbudgets.policy "${name}" is forbidden: pdb disruptions allowed is negative`,
    );
  }
  if (Object.keys(status.disruptedPods ?? {}).length > MAX_DISRUPTED_PODS) {
    throw forbidden(
      `poddisruptionbudgets.policy "${name}" is forbidden: DisruptedPods map too big - too many evictions not confirmed by PDB controller`,
    );
  }
  if (status.disruptionsAllowed === 0) {
    throw tooManyRequests(
      `The disruption budget ${name} needs ${status.desiredHealthy} healthy pods and has ${status.currentHealthy} currently`,
    );
  }
  const next: PodDisruptionBudgetStatus = {
    ...status,
    disruptionsAllowed: status.disruptionsAllowed - 1,
    disruptedPods: { ...(status.disruptedPods ?? {}), [podName]: formatTime(now) },
  };
  if (next.disruptionsAllowed === 0) next.conditions = insufficientPods(status, formatTime(now));
  return { ...pdb, status: next };
}

function insufficientPods(status: PodDisruptionBudgetStatus, at: string): Condition[] {
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === 'DisruptionAllowed');
  const next: Condition = {
    type: 'DisruptionAllowed',
    status: 'False',
    reason: 'InsufficientPods',
    message: '',
    observedGeneration: status.observedGeneration,
    lastTransitionTime: old?.status === 'False' ? old.lastTransitionTime : at,
  };
  return old ? conditions.map((c) => (c === old ? next : c)) : [...conditions, next];
}

function tooManyRequests(cause: string, retryAfterSeconds?: number): StatusError {
  return new StatusError(429, 'TooManyRequests', EVICTION_BLOCKED, {
    causes: [{ reason: 'DisruptionBudget', message: cause }],
    ...(retryAfterSeconds ? { retryAfterSeconds } : {}),
  });
}
