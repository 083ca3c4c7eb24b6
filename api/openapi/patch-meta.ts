import type { Definitions } from './schema.js';

/**
 * Strategic-merge-patch metadata (the Go struct tags `patchMergeKey`/`patchStrategy`) that the
 * .d.ts files cannot carry. kubectl reads these extensions from OpenAPI when it computes an
 * apply patch, so the common list fields get them here: `<definition>`, property, key, strategy.
 */
const CORE = 'io.k8s.api.core.v1';
const APPS = 'io.k8s.api.apps.v1';
const META = 'io.k8s.apimachinery.pkg.apis.meta.v1';

type Entry = [definition: string, property: string, mergeKey: string | undefined, strategy: string];

const containerLists = (def: string): Entry[] => [
  [def, 'env', 'name', 'merge'],
  [def, 'ports', 'containerPort', 'merge'],
  [def, 'volumeMounts', 'mountPath', 'merge'],
  [def, 'volumeDevices', 'devicePath', 'merge'],
  [def, 'resizePolicy', undefined, 'atomic'],
];

const ENTRIES: Entry[] = [
  [`${CORE}.PodSpec`, 'containers', 'name', 'merge'],
  [`${CORE}.PodSpec`, 'initContainers', 'name', 'merge'],
  [`${CORE}.PodSpec`, 'ephemeralContainers', 'name', 'merge'],
  [`${CORE}.PodSpec`, 'volumes', 'name', 'merge,retainKeys'],
  [`${CORE}.PodSpec`, 'imagePullSecrets', 'name', 'merge'],
  [`${CORE}.PodSpec`, 'hostAliases', 'ip', 'merge'],
  [`${CORE}.PodSpec`, 'topologySpreadConstraints', 'topologyKey', 'merge'],
  [`${CORE}.PodSpec`, 'resourceClaims', 'name', 'merge,retainKeys'],
  [`${CORE}.PodSpec`, 'schedulingGates', 'name', 'merge'],
  ...containerLists(`${CORE}.Container`),
  ...containerLists(`${CORE}.EphemeralContainer`),
  [`${CORE}.PodStatus`, 'conditions', 'type', 'merge'],
  [`${CORE}.PodStatus`, 'podIPs', 'ip', 'merge'],
  [`${CORE}.NodeStatus`, 'conditions', 'type', 'merge'],
  [`${CORE}.NodeStatus`, 'addresses', 'type', 'merge'],
  [`${CORE}.NodeSpec`, 'podCIDRs', undefined, 'merge'],
  [`${CORE}.ServiceSpec`, 'ports', 'port', 'merge'],
  [`${CORE}.ServiceAccount`, 'secrets', 'name', 'merge'],
  [`${APPS}.DeploymentSpec`, 'strategy', undefined, 'retainKeys'],
  [`${APPS}.DaemonSetSpec`, 'updateStrategy', undefined, 'retainKeys'],
  [`${APPS}.DeploymentStatus`, 'conditions', 'type', 'merge'],
  [`${APPS}.ReplicaSetStatus`, 'conditions', 'type', 'merge'],
  [`${APPS}.DaemonSetStatus`, 'conditions', 'type', 'merge'],
  [`${APPS}.StatefulSetStatus`, 'conditions', 'type', 'merge'],
  [`${META}.ObjectMeta`, 'finalizers', undefined, 'merge'],
  [`${META}.ObjectMeta`, 'ownerReferences', 'uid', 'merge'],
];

export function applyPatchMeta(defs: Definitions): void {
  for (const [def, property, mergeKey, strategy] of ENTRIES) {
    const prop = defs[def]?.properties?.[property];
    if (!prop) continue;
    if (strategy === 'atomic') {
      prop['x-kubernetes-list-type'] = 'atomic';
      continue;
    }
    if (mergeKey) prop['x-kubernetes-patch-merge-key'] = mergeKey;
    prop['x-kubernetes-patch-strategy'] = strategy;
  }
}
