import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiClient, EventRecorder } from '../../client/index.js';
import type { PodObject } from './replicaset-controller.js';
import { PODS } from './resources.js';

/**
 * Pod writes of the controllers that own pods (replicaset, daemonset, job), with the Events
 * upstream's PodControl records on the owner.
 */
export class PodControl {
  constructor(private readonly d: { api: ApiClient; events: EventRecorder }) {}

  /** Creates the pod; SuccessfulCreate on the owner, or FailedCreate and the error rethrown. */
  async create(owner: KubeObject, pod: PodObject): Promise<PodObject> {
    try {
      const created = await this.d.api.create<PodObject>(PODS, pod, { namespace: pod.metadata.namespace });
      this.d.events.event(owner, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      return created;
    } catch (e) {
      this.d.events.event(owner, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
      throw e;
    }
  }

  /**
   * Deletes exactly this pod (uid precondition). True when deleted (SuccessfulDelete on the owner),
   * false when it was already gone or replaced; other errors are thrown.
   */
  async delete(owner: KubeObject, pod: PodObject): Promise<boolean> {
    try {
      await this.d.api.delete(PODS, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (isStatusError(e, 'NotFound') || isStatusError(e, 'Conflict')) return false;
      throw e;
    }
    this.d.events.event(owner, 'Normal', 'SuccessfulDelete', `Deleted pod: ${pod.metadata.name}`);
    return true;
  }
}
