import type { Pod, Toleration } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../api/object.js';
import { podQosClass } from '../../../api/pod-qos.js';
import type { KindHooks } from './hooks.js';
import { admitPodPriority } from './priority-admission.js';
import type { ResourceStore } from './resource-store.js';

const DEFAULT_GRACE_SECONDS = 30;

/** Upstream's DefaultTolerationSeconds admission: pods ride out a node problem for 5 minutes. */
const DEFAULT_TOLERATION_SECONDS = 300;
const NODE_PROBLEM_TAINTS = ['node.kubernetes.io/not-ready', 'node.kubernetes.io/unreachable'];

/** Pod hooks; `priorityClasses` is the store Priority admission reads. */
export const podHooks = (priorityClasses: () => ResourceStore): KindHooks => ({
  prepareForCreate(obj) {
    const pod = obj as unknown as Pod;
    obj.status = { phase: 'Pending', qosClass: podQosClass(pod.spec) };
    addDefaultTolerations(obj);
  },
  async beforeCreate(obj) {
    await admitPodPriority(obj, priorityClasses());
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
});

/** Binding a pod to a node: sets spec.nodeName once and marks it scheduled. */
export function bindPod(obj: KubeObject, nodeName: string, now: string): KubeObject {
  const pod = obj as unknown as Pod;
  obj.spec = { ...(pod.spec ?? { containers: [] }), nodeName };
  const conditions = (pod.status?.conditions ?? []).filter((c) => c.type !== 'PodScheduled');
  conditions.push({ type: 'PodScheduled', status: 'True', lastTransitionTime: now });
  obj.status = { ...(pod.status ?? {}), conditions };
  return obj;
}

function addDefaultTolerations(obj: KubeObject): void {
  const spec = obj.spec as { tolerations?: Toleration[] } | undefined;
  if (!spec || typeof spec !== 'object') return;
  const tolerations = Array.isArray(spec.tolerations) ? [...spec.tolerations] : [];
  for (const key of NODE_PROBLEM_TAINTS) {
    const covered = tolerations.some(
      (t) =>
        (t.effect === undefined || t.effect === '' || t.effect === 'NoExecute') &&
        (t.key === key || (t.key === undefined && t.operator === 'Exists')),
    );
    if (!covered) {
      tolerations.push({
        key,
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: DEFAULT_TOLERATION_SECONDS,
      });
    }
  }
  spec.tolerations = tolerations;
}
