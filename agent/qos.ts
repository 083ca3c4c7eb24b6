import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { podQosClass, type QosClass } from '../api/pod-qos.js';
import { parseQuantity } from '../api/quantity.js';

export type { QosClass };
export { podQosClass };

const GUARANTEED_OOM_SCORE_ADJ = -997;
const BEST_EFFORT_OOM_SCORE_ADJ = 1000;
const SYSTEM_CRITICAL_PRIORITY = 2_000_000_000;

/** A static or mirror pod, or one with a system-critical priority (upstream's IsCriticalPod). */
function isCriticalPod(pod: Pod): boolean {
  const a = pod.metadata?.annotations ?? {};
  const source = a['kubernetes.io/config.source'];
  const staticPod = source !== undefined && source !== 'api';
  return (
    staticPod || 'kubernetes.io/config.mirror' in a || (pod.spec?.priority ?? 0) >= SYSTEM_CRITICAL_PRIORITY
  );
}

/**
 * The oom_score_adj of a container, as upstream's kubelet policy: -997 for Guaranteed and
 * node-critical pods, 1000 for BestEffort, and for Burstable 1000 - 1000 * request / capacity,
 * kept within 3..999 so it sits between the other two.
 */
export function containerOomScoreAdj(pod: Pod, spec: Container, memoryCapacityBytes: number): number {
  if (isCriticalPod(pod) && pod.spec?.priorityClassName === 'system-node-critical')
    return GUARANTEED_OOM_SCORE_ADJ;
  const qos = podQosClass(pod.spec);
  if (qos === 'Guaranteed') return GUARANTEED_OOM_SCORE_ADJ;
  if (qos === 'BestEffort') return BEST_EFFORT_OOM_SCORE_ADJ;
  const req = spec.resources?.requests?.memory ?? spec.resources?.limits?.memory;
  const request = req === undefined ? 0 : parseQuantity(req).value();
  const adj = 1000 - Math.trunc((1000 * request) / memoryCapacityBytes);
  if (adj < 1000 + GUARANTEED_OOM_SCORE_ADJ) return 1000 + GUARANTEED_OOM_SCORE_ADJ;
  if (adj === BEST_EFFORT_OOM_SCORE_ADJ) return adj - 1;
  return adj;
}
