import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Condition } from 'kubernetes-types/meta/v1.js';
import type {
  PodDisruptionBudget,
  PodDisruptionBudgetSpec,
  PodDisruptionBudgetStatus,
} from 'kubernetes-types/policy/v1.js';
import { labelSelectorFromObject } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import { timestamp } from './controller-ref.js';
import { isPodReady } from './pod-state.js';

export type PdbObject = PodDisruptionBudget & KubeObject;

/** How long an eviction recorded in status.disruptedPods waits for the pod to go (upstream's DeletionTimeout). */
export const DELETION_TIMEOUT_MS = 2 * 60_000;

export const DISRUPTION_ALLOWED = 'DisruptionAllowed';
export const SUFFICIENT_PODS = 'SufficientPods';
export const INSUFFICIENT_PODS = 'InsufficientPods';
export const SYNC_FAILED = 'SyncFailed';

/** Whether the budget selects the pod (policy/v1: an empty selector selects every pod, a missing one none). */
export function budgetSelects(pdb: PodDisruptionBudget, pod: Pod): boolean {
  if (pdb.metadata?.namespace !== pod.metadata?.namespace) return false;
  try {
    return labelSelectorFromObject(pdb.spec?.selector).matches(pod.metadata?.labels);
  } catch {
    return false;
  }
}

/**
 * An int-or-percent against `total` (upstream's GetScaledValueFromIntOrPercent): an int as is, a
 * percentage scaled and rounded up or down. Throws for a string that is not `<n>%`.
 */
export function scaledValue(value: number | string, total: number, roundUp: boolean): number {
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) throw new Error(`invalid value for IntOrString: invalid value "${value}"`);
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** True when the count the budget is computed against comes from the pods' controllers' scale. */
export function needsControllerScale(spec: PodDisruptionBudgetSpec | undefined): boolean {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) return true;
  return typeof spec?.minAvailable === 'string';
}

/**
 * expectedPods and desiredHealthy as upstream's getExpectedPodCount: maxUnavailable (int or
 * percent) and a percentage minAvailable count against `controllerScale` (the sum of the pods'
 * controllers' replicas); an integer minAvailable counts against the matching pods.
 */
export function expectedAndDesired(
  spec: PodDisruptionBudgetSpec | undefined,
  matchingPods: number,
  controllerScale: number,
): { expectedPods: number; desiredHealthy: number } {
  if (spec?.maxUnavailable !== undefined && spec.maxUnavailable !== null) {
    const maxUnavailable = scaledValue(spec.maxUnavailable, controllerScale, true);
    return { expectedPods: controllerScale, desiredHealthy: Math.max(0, controllerScale - maxUnavailable) };
  }
  if (spec?.minAvailable !== undefined && spec.minAvailable !== null) {
    if (typeof spec.minAvailable === 'number') {
      return { expectedPods: matchingPods, desiredHealthy: spec.minAvailable };
    }
    return {
      expectedPods: controllerScale,
      desiredHealthy: scaledValue(spec.minAvailable, controllerScale, true),
    };
  }
  return { expectedPods: 0, desiredHealthy: 0 };
}

/**
 * The disruptedPods entries still pending: the pod exists, is not being deleted yet and its
 * eviction is younger than the deletion timeout. `recheckAt` is when the first of them expires.
 */
export function pendingDisruptions(
  recorded: Record<string, string> | undefined,
  pods: readonly Pod[],
  now: number,
): { disrupted: Record<string, string>; recheckAt?: number } {
  const byName = new Map(pods.map((p) => [p.metadata?.name ?? '', p]));
  const disrupted: Record<string, string> = {};
  let recheckAt: number | undefined;
  for (const [name, at] of Object.entries(recorded ?? {})) {
    const pod = byName.get(name);
    if (!pod || pod.metadata?.deletionTimestamp) continue;
    const expires = (Date.parse(at) || 0) + DELETION_TIMEOUT_MS;
    if (expires <= now) continue;
    disrupted[name] = at;
    recheckAt = recheckAt === undefined ? expires : Math.min(recheckAt, expires);
  }
  return { disrupted, recheckAt };
}

/** Pods that count as healthy: ready, not being deleted, not already evicted. */
export function countHealthy(pods: readonly Pod[], disrupted: Record<string, string>): number {
  let healthy = 0;
  for (const p of pods) {
    if (p.metadata?.deletionTimestamp) continue;
    if (Object.hasOwn(disrupted, p.metadata?.name ?? '')) continue;
    if (isPodReady(p)) healthy++;
  }
  return healthy;
}

/** Upstream's SetStatusCondition: a status change moves lastTransitionTime, the rest is replaced. */
export function setCondition(
  conditions: readonly Condition[],
  next: Omit<Condition, 'lastTransitionTime'>,
  now: number,
): Condition[] {
  const old = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = old && old.status === next.status ? old.lastTransitionTime : timestamp(now);
  const merged: Condition = { ...next, lastTransitionTime };
  return old ? conditions.map((c) => (c.type === next.type ? merged : c)) : [...conditions, merged];
}

/** The DisruptionAllowed condition for the status' disruptionsAllowed. */
export function withDisruptionAllowedCondition(
  status: PodDisruptionBudgetStatus,
  now: number,
): PodDisruptionBudgetStatus {
  const allowed = status.disruptionsAllowed > 0;
  return {
    ...status,
    conditions: setCondition(
      status.conditions ?? [],
      {
        type: DISRUPTION_ALLOWED,
        status: allowed ? 'True' : 'False',
        reason: allowed ? SUFFICIENT_PODS : INSUFFICIENT_PODS,
        message: '',
        observedGeneration: status.observedGeneration,
      },
      now,
    ),
  };
}

export interface BudgetCounts {
  currentHealthy: number;
  desiredHealthy: number;
  expectedPods: number;
  disruptedPods: Record<string, string>;
}

/** The status the controller writes (upstream's updatePdbStatus). */
export function budgetStatus(pdb: PdbObject, counts: BudgetCounts, now: number): PodDisruptionBudgetStatus {
  let disruptionsAllowed = counts.currentHealthy - counts.desiredHealthy;
  if (counts.expectedPods <= 0 || disruptionsAllowed <= 0) disruptionsAllowed = 0;
  const status: PodDisruptionBudgetStatus = {
    ...(pdb.status ?? {}),
    currentHealthy: counts.currentHealthy,
    desiredHealthy: counts.desiredHealthy,
    expectedPods: counts.expectedPods,
    disruptionsAllowed,
    observedGeneration: pdb.metadata.generation ?? 1,
  };
  if (Object.keys(counts.disruptedPods).length > 0) status.disruptedPods = counts.disruptedPods;
  else delete status.disruptedPods;
  return withDisruptionAllowedCondition(status, now);
}

/** The status written when the budget cannot be computed: no disruptions, SyncFailed. */
export function failSafeStatus(pdb: PdbObject, message: string, now: number): PodDisruptionBudgetStatus {
  const status: PodDisruptionBudgetStatus = {
    ...(pdb.status ?? { currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 }),
    disruptionsAllowed: 0,
  };
  status.conditions = setCondition(
    status.conditions ?? [],
    {
      type: DISRUPTION_ALLOWED,
      status: 'False',
      reason: SYNC_FAILED,
      message,
      observedGeneration: status.observedGeneration,
    },
    now,
  );
  return status;
}
