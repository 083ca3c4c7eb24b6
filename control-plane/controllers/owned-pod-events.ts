import { type ApiObject, keyOf } from '../../api/object.js';
import type { Informer, WorkQueue } from '../../client/index.js';
import { controllerRefOf } from './controller-ref.js';
import type { Expectations } from './expectations.js';

/**
 * The owner side of a controller that creates pods: every change of an owner enqueues its key,
 * and a deleted owner's expectations are dropped.
 */
export function enqueueOwners<T extends ApiObject>(
  owners: Informer<T>,
  queue: WorkQueue<string>,
  expectations: Expectations,
): void {
  owners.addEventHandler({
    onAdd: (o) => queue.add(keyOf(o)),
    onUpdate: (_old, o) => queue.add(keyOf(o)),
    onDelete: (o) => {
      expectations.forget(keyOf(o));
      queue.add(keyOf(o));
    },
  });
}

/** `namespace/name` of the pod's controller when it is of `kind`. */
export function controllerKeyOf(pod: ApiObject, kind: string): string | undefined {
  const ref = controllerRefOf(pod);
  return ref?.kind === kind ? `${pod.metadata?.namespace}/${ref.name}` : undefined;
}

/**
 * The pod side for controllers that only track their own pods (no adoption): a pod's arrival
 * settles one expected creation, and any change of it wakes its controller.
 */
export function enqueueControllersOfPods<P extends ApiObject>(
  pods: Informer<P>,
  kind: string,
  queue: WorkQueue<string>,
  expectations: Expectations,
): void {
  pods.addEventHandler({
    onAdd: (pod) => {
      const k = controllerKeyOf(pod, kind);
      if (!k) return;
      expectations.creationObserved(k);
      queue.add(k);
    },
    onUpdate: (_old, pod) => {
      const k = controllerKeyOf(pod, kind);
      if (k) queue.add(k);
    },
    onDelete: (pod) => {
      const k = controllerKeyOf(pod, kind);
      if (k) queue.add(k);
    },
  });
}
