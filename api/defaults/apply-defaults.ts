import type { KubeObject } from '../object.js';
import {
  defaultEndpointSlice,
  defaultEndpoints,
  defaultNamespace,
  defaultNode,
  defaultPriorityClass,
  defaultSecret,
  defaultService,
} from './core-defaults.js';
import { defaultPodSpec } from './pod-defaults.js';
import { stripNulls } from './strip-nulls.js';
import {
  defaultCronJob,
  defaultDaemonSet,
  defaultDeployment,
  defaultJob,
  defaultPodTemplate,
  defaultReplicaSet,
  defaultStatefulSet,
} from './workload-defaults.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

// biome-ignore lint/suspicious/noExplicitAny: each defaulter narrows the object to its own kind
type Defaulter = (obj: any) => void;

const DEFAULTERS: Record<string, Defaulter> = {
  '/Pod': (pod) => defaultPodSpec(pod.spec, true),
  '/PodTemplate': defaultPodTemplate,
  '/Service': defaultService,
  '/Namespace': defaultNamespace,
  '/Secret': defaultSecret,
  '/Node': defaultNode,
  '/Endpoints': defaultEndpoints,
  'apps/Deployment': defaultDeployment,
  'apps/ReplicaSet': defaultReplicaSet,
  'apps/DaemonSet': defaultDaemonSet,
  'apps/StatefulSet': defaultStatefulSet,
  'batch/Job': defaultJob,
  'batch/CronJob': defaultCronJob,
  'discovery.k8s.io/EndpointSlice': defaultEndpointSlice,
  'scheduling.k8s.io/PriorityClass': defaultPriorityClass,
};

/**
 * Fills in upstream's defaults for a served kind, in place. Kinds without defaults are left alone.
 * Defaulting runs before validation, so the object may be malformed (a string where a list
 * belongs): defaulting then stops where it is and validation reports the bad field. JSON nulls
 * are dropped first, as upstream's decoding into structs does.
 */
export function applyDefaults(gvk: GroupVersionKind, obj: KubeObject): void {
  stripNulls(obj);
  const defaulter = DEFAULTERS[`${gvk.group}/${gvk.kind}`];
  if (!defaulter) return;
  try {
    defaulter(obj);
  } catch (e) {
    if (!(e instanceof TypeError)) throw e;
  }
}
