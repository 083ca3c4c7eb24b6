import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { ApiClient } from '../client/rest-client.js';
import type { KeyValue, Mount } from '../shim/index.js';

/**
 * What a container needs from outside its spec before it can be created: resolved environment
 * and the mounts of its volumes. Implementations throw WaitingError (CreateContainerConfigError)
 * when a source (ConfigMap, Secret...) is missing, so the pod waits and retries.
 */
export interface ContainerInputs {
  /**
   * Called at the start of every sync of a running pod: makes its volumes ready and refreshes
   * changed sources in place. Throws WaitingError while a source is missing.
   */
  prepare(pod: Pod): Promise<void>;
  /** Environment of `spec` with valueFrom and envFrom resolved, in the order Kubernetes applies them. */
  env(pod: Pod, spec: ContainerSpec): Promise<KeyValue[]>;
  /** The mounts of `spec`'s volumeMounts (after prepare). */
  mounts(pod: Pod, spec: ContainerSpec): Promise<Mount[]>;
  /** Removes what was made for the pod, after its sandboxes are gone. */
  cleanup(uid: string): Promise<void>;
}

/** Literal env values only, no volumes. */
export const literalContainerInputs: ContainerInputs = {
  prepare: async () => undefined,
  env: async (_pod, spec) =>
    (spec.env ?? []).filter((e) => !e.valueFrom).map((e) => ({ key: e.name, value: e.value ?? '' })),
  mounts: async () => [],
  cleanup: async () => undefined,
};

export interface ContainerInputsOptions {
  api: ApiClient;
  log: Logger;
  /** The kubelet's --root-dir: pod volumes live under `<rootDir>/pods/<uid>/volumes/`. */
  rootDir: string;
  nodeName: string;
}

export function createContainerInputs(_o: ContainerInputsOptions): ContainerInputs {
  return literalContainerInputs;
}
