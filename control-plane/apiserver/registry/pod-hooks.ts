import type { Pod } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../api/object.js';
import { podQosClass } from '../../../api/pod-qos.js';
import type { KindHooks } from './hooks.js';

const DEFAULT_GRACE_SECONDS = 30;

export const podHooks: KindHooks = {
  prepareForCreate(obj) {
    const pod = obj as unknown as Pod;
    obj.status = { phase: 'Pending', qosClass: podQosClass(pod.spec) };
  },
  gracePeriodSeconds(obj, options) {
    const pod = obj as unknown as Pod;
    // A pod no kubelet runs has nobody to confirm its termination: it goes at once.
    if (!pod.spec?.nodeName) return 0;
    const phase = pod.status?.phase;
    if (phase === 'Succeeded' || phase === 'Failed') return 0;
    const requested =
      options.gracePeriodSeconds ?? pod.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
    return Math.max(0, requested);
  },
};

/** Binding a pod to a node: sets spec.nodeName once and marks it scheduled. */
export function bindPod(obj: KubeObject, nodeName: string, now: string): KubeObject {
  const pod = obj as unknown as Pod;
  obj.spec = { ...(pod.spec ?? { containers: [] }), nodeName };
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  obj.status = { ...(pod.status ?? {}), conditions };
  return obj;
}
