import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';
import type { ContainerConfig, KeyValue, Mount, NamespaceOption } from '../shim/index.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from './labels.js';

export interface ContainerConfigInput {
  pod: Pod;
  uid: string;
  spec: ContainerSpec;
  attempt: number;
  envs: KeyValue[];
  mounts: Mount[];
  /** The sandbox's namespace options, which the containers share. */
  namespaces: NamespaceOption;
}

/** The CRI config of one attempt of a container. */
export function buildContainerConfig(i: ContainerConfigInput): ContainerConfig {
  const { pod, spec, attempt } = i;
  return {
    metadata: { name: spec.name, attempt },
    image: { image: spec.image ?? '' },
    command: spec.command ?? [],
    args: spec.args ?? [],
    workingDir: spec.workingDir ?? '',
    envs: i.envs,
    mounts: i.mounts,
    labels: {
      [CONTAINER_NAME_LABEL]: spec.name,
      [POD_NAME_LABEL]: pod.metadata?.name ?? '',
      [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '',
      [POD_UID_LABEL]: i.uid,
    },
    annotations: { 'io.kubernetes.container.restartCount': String(attempt) },
    logPath: `${spec.name}/${attempt}.log`,
    stdin: spec.stdin ?? false,
    stdinOnce: spec.stdinOnce ?? false,
    tty: spec.tty ?? false,
    linux: { securityContext: { namespaceOptions: { ...i.namespaces } } },
  };
}
