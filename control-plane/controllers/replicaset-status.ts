import type { ReplicaSet, ReplicaSetCondition, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { isPodAvailable, isPodReady } from './pod-state.js';

/**
 * A ReplicaSet's status from its active pods, as upstream's calculateStatus: a create/delete
 * failure shows as the ReplicaFailure condition, cleared once managing succeeds again.
 */
export function calculateReplicaSetStatus(
  rs: ReplicaSet,
  activePods: readonly Pod[],
  manageError: { reason: string; message: string } | undefined,
  now: number,
  nowText: string,
): ReplicaSetStatus {
  const templateLabels = rs.spec?.template?.metadata?.labels ?? {};
  const minReady = rs.spec?.minReadySeconds ?? 0;
  let fullyLabeled = 0;
  let ready = 0;
  let available = 0;
  for (const pod of activePods) {
    const labels = pod.metadata?.labels ?? {};
    if (Object.entries(templateLabels).every(([k, v]) => labels[k] === v)) fullyLabeled++;
    if (isPodReady(pod)) {
      ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
    }
  }
  let conditions = (rs.status?.conditions ?? []).filter((c) => c.type !== 'ReplicaFailure');
  const old = rs.status?.conditions?.find((c) => c.type === 'ReplicaFailure');
  if (manageError) {
    const cond: ReplicaSetCondition =
      old && old.reason === manageError.reason && old.message === manageError.message
        ? old
        : { type: 'ReplicaFailure', status: 'True', lastTransitionTime: nowText, ...manageError };
    conditions = [...conditions, cond];
  }
  const status: ReplicaSetStatus = {
    replicas: activePods.length,
    fullyLabeledReplicas: fullyLabeled,
    readyReplicas: ready,
    availableReplicas: available,
    observedGeneration: rs.metadata?.generation,
  };
  if (conditions.length > 0) status.conditions = conditions;
  return status;
}
