import type { Pod } from 'kubernetes-types/core/v1.js';
import { badRequest, StatusError } from '../../api/errors.js';
import type { Container, CriClient, PodSandbox } from '../../shim/index.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from '../labels.js';

/** Which pod a request names: namespace and name, and the uid when the path carries one. */
export interface PodRef {
  namespace: string;
  name: string;
  uid?: string;
}

const newestFirst = (a: { createdAt: string }, b: { createdAt: string }) =>
  BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : BigInt(b.createdAt) < BigInt(a.createdAt) ? -1 : 0;

export function podNotFound(ref: PodRef): StatusError {
  return new StatusError(404, 'NotFound', `pod "${ref.name}" not found in namespace "${ref.namespace}"`, {
    name: ref.name,
    kind: 'pods',
  });
}

/**
 * Finds a pod's sandboxes and containers on the runtime by the labels the kubelet puts on them.
 * The uid comes from the request or, failing that, from the pods the kubelet runs, so a pod
 * deleted and re-created under the same name is not confused with its predecessor.
 */
export class RuntimeTargets {
  constructor(
    private readonly cri: CriClient,
    private readonly pods: () => Pod[],
  ) {}

  /** The uid of the pod the kubelet runs under this name, if any. */
  uidOf(ref: PodRef): string | undefined {
    if (ref.uid) return ref.uid;
    return this.pods().find((p) => p.metadata?.namespace === ref.namespace && p.metadata?.name === ref.name)
      ?.metadata?.uid;
  }

  private podLabels(ref: PodRef): Record<string, string> {
    const uid = this.uidOf(ref);
    return {
      [POD_NAMESPACE_LABEL]: ref.namespace,
      [POD_NAME_LABEL]: ref.name,
      ...(uid ? { [POD_UID_LABEL]: uid } : {}),
    };
  }

  /** All attempts of a container, the latest first. */
  async attempts(ref: PodRef, container: string): Promise<Container[]> {
    const found = await this.cri.runtime.listContainers({
      labelSelector: { ...this.podLabels(ref), [CONTAINER_NAME_LABEL]: container },
    });
    return found.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0) || newestFirst(a, b));
  }

  /** The running container exec and attach go to. */
  async runningContainer(ref: PodRef, container: string): Promise<Container> {
    const [latest] = await this.attempts(ref, container);
    if (!latest) {
      if (!this.uidOf(ref)) throw podNotFound(ref);
      throw badRequest(`container ${container} is not valid for pod ${ref.name}`);
    }
    if (latest.state !== 'CONTAINER_RUNNING')
      throw badRequest(`container ${container} is not running in pod ${ref.name}`);
    return latest;
  }

  /** The ready sandbox port-forward goes to. */
  async readySandbox(ref: PodRef): Promise<PodSandbox> {
    const sandboxes = await this.cri.runtime.listPodSandbox({ labelSelector: this.podLabels(ref) });
    const [ready] = sandboxes.filter((s) => s.state === 'SANDBOX_READY').sort(newestFirst);
    if (!ready) {
      if (sandboxes.length === 0) throw podNotFound(ref);
      throw badRequest(`pod ${ref.name} has no ready sandbox`);
    }
    return ready;
  }
}
