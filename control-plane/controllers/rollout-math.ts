import type { Deployment } from 'kubernetes-types/apps/v1.js';

type IntOrString = number | string | undefined;

/**
 * An int-or-percent field against `total`: `25%` of 10 is 2.5, rounded up for maxSurge and down
 * for maxUnavailable, as upstream's GetScaledValueFromIntOrPercent.
 */
export function scaledValue(value: IntOrString, total: number, roundUp: boolean): number {
  if (value === undefined) return 0;
  if (typeof value === 'number') return value;
  const m = /^(\d+)%$/.exec(value);
  if (!m) {
    const n = Number(value);
    if (Number.isInteger(n)) return n;
    throw new Error(`invalid value for IntOrString: ${value}`);
  }
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/**
 * maxSurge and maxUnavailable of a rolling update resolved against the replicas; both zero
 * would stall the rollout, so maxUnavailable becomes 1 then (upstream's ResolveFenceposts).
 */
export function resolveFenceposts(
  maxSurge: IntOrString,
  maxUnavailable: IntOrString,
  replicas: number,
): { surge: number; unavailable: number } {
  const surge = scaledValue(maxSurge, replicas, true);
  let unavailable = scaledValue(maxUnavailable, replicas, false);
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function isRollingUpdate(d: Deployment): boolean {
  return (d.spec?.strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

export function maxSurgeOf(d: Deployment): number {
  if (!isRollingUpdate(d)) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  return resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, d.spec?.replicas ?? 1).surge;
}

/** Pods that may be unavailable during the rollout, at most the replicas. */
export function maxUnavailableOf(d: Deployment): number {
  const replicas = d.spec?.replicas ?? 1;
  if (!isRollingUpdate(d) || replicas === 0) return 0;
  const ru = d.spec?.strategy?.rollingUpdate;
  const { unavailable } = resolveFenceposts(ru?.maxSurge, ru?.maxUnavailable, replicas);
  return Math.min(unavailable, replicas);
}

/**
 * How many replicas the new ReplicaSet may have now (rolling update): up to
 * replicas + maxSurge pods in all sets, never more than the replicas wanted.
 */
export function newReplicaSetReplicas(
  replicas: number,
  maxSurge: number,
  allReplicaSetReplicas: number,
  newReplicaSetCurrent: number,
): number {
  const maxTotal = replicas + maxSurge;
  if (allReplicaSetReplicas >= maxTotal) return newReplicaSetCurrent;
  const scaleUp = Math.min(maxTotal - allReplicaSetReplicas, replicas - newReplicaSetCurrent);
  return newReplicaSetCurrent + Math.max(0, scaleUp);
}

/**
 * How many old pods may go now: the pods in all sets minus the minimum available, minus the new
 * set's pods that are not available yet (they may never become so).
 */
export function maxOldScaleDown(
  allReplicaSetReplicas: number,
  minAvailable: number,
  newReplicaSetUnavailable: number,
): number {
  return allReplicaSetReplicas - minAvailable - newReplicaSetUnavailable;
}
