import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';
import type { KeyValue, Mount } from '../shim/index.js';

/**
 * What a container needs from outside its spec before it can be created: resolved environment
 * and the mounts of its volumes. Implementations throw WaitingError (CreateContainerConfigError)
 * when a source (ConfigMap, Secret...) is missing, so the pod waits and retries.
 */
export interface ContainerInputs {
  /** Environment of `spec` with valueFrom and envFrom resolved, in the order Kubernetes applies them. */
  env(pod: Pod, spec: ContainerSpec): Promise<KeyValue[]>;
  /** Makes the pod's volumes ready (idempotent, refreshes changed sources) and returns the mounts of `spec`. */
  mounts(pod: Pod, spec: ContainerSpec): Promise<Mount[]>;
  /** Removes what was made for the pod, after its sandboxes are gone. */
  cleanup(uid: string): Promise<void>;
}

/** Literal env values only, no volumes. */
export const literalContainerInputs: ContainerInputs = {
  env: async (_pod, spec) =>
    (spec.env ?? []).filter((e) => !e.valueFrom).map((e) => ({ key: e.name, value: e.value ?? '' })),
  mounts: async () => [],
  cleanup: async () => undefined,
};
