/**
 * Strategic-merge-patch metadata of the served API types, taken from the `patchStrategy` and
 * `patchMergeKey` struct tags of k8s.io/api (the `x-kubernetes-patch-strategy` and
 * `x-kubernetes-patch-merge-key` OpenAPI extensions), plus the small type graph needed to
 * find them: which field of which type holds which type.
 *
 * A field absent from its type's entry has no strategy: a map there is merged key by key,
 * a list is replaced whole (atomic), as the apiserver does.
 */

export type PatchStrategy = 'merge' | 'replace' | 'retainKeys' | 'merge,retainKeys';

export interface FieldPatchMeta {
  /** Type of the field's value, or of the list's elements for a list field. */
  type?: string;
  /** Lists of objects: the element field that identifies an element. */
  mergeKey?: string;
  strategy?: PatchStrategy;
}

type TypeTable = Record<string, Record<string, FieldPatchMeta>>;

const meta = { metadata: { type: 'ObjectMeta' } };
const merge = (mergeKey: string, type?: string): FieldPatchMeta => ({ mergeKey, strategy: 'merge', type });
const conditions = { conditions: merge('type') };

/** Kinds whose objects are `metadata` + `spec` + `status`, named `<Kind>Spec`/`<Kind>Status`. */
function workload(kind: string): Record<string, FieldPatchMeta> {
  return { ...meta, spec: { type: `${kind}Spec` }, status: { type: `${kind}Status` } };
}

const CONTAINER_LISTS: Record<string, FieldPatchMeta> = {
  ports: merge('containerPort'),
  env: merge('name'),
  volumeMounts: merge('mountPath'),
  volumeDevices: merge('devicePath'),
};

export const PATCH_METADATA: TypeTable = {
  ObjectMeta: {
    finalizers: { strategy: 'merge' },
    ownerReferences: merge('uid'),
  },

  // core/v1 Pod and the pod template every workload embeds.
  Pod: workload('Pod'),
  PodTemplate: { ...meta, template: { type: 'PodTemplateSpec' } },
  PodTemplateSpec: { ...meta, spec: { type: 'PodSpec' } },
  PodSpec: {
    volumes: { mergeKey: 'name', strategy: 'merge,retainKeys', type: 'Volume' },
    initContainers: merge('name', 'Container'),
    containers: merge('name', 'Container'),
    ephemeralContainers: merge('name', 'Container'),
    imagePullSecrets: merge('name'),
    hostAliases: merge('ip'),
    topologySpreadConstraints: merge('topologyKey'),
    resourceClaims: { mergeKey: 'name', strategy: 'merge,retainKeys' },
    schedulingGates: merge('name'),
  },
  Volume: {},
  Container: CONTAINER_LISTS,
  // Same struct tags; listed so the OpenAPI schemas carry them for ephemeral containers too.
  EphemeralContainer: CONTAINER_LISTS,
  PodStatus: {
    ...conditions,
    podIPs: merge('ip'),
    hostIPs: merge('ip'),
    resourceClaimStatuses: { mergeKey: 'name', strategy: 'merge,retainKeys' },
  },

  // apps/v1
  Deployment: workload('Deployment'),
  DeploymentSpec: { template: { type: 'PodTemplateSpec' }, strategy: { strategy: 'retainKeys' } },
  DeploymentStatus: conditions,
  ReplicaSet: workload('ReplicaSet'),
  ReplicaSetSpec: { template: { type: 'PodTemplateSpec' } },
  ReplicaSetStatus: conditions,
  DaemonSet: workload('DaemonSet'),
  DaemonSetSpec: { template: { type: 'PodTemplateSpec' } },
  DaemonSetStatus: conditions,
  StatefulSet: workload('StatefulSet'),
  StatefulSetSpec: { template: { type: 'PodTemplateSpec' } },
  StatefulSetStatus: conditions,
  ControllerRevision: meta,

  // batch/v1
  Job: workload('Job'),
  JobSpec: { template: { type: 'PodTemplateSpec' } },
  JobStatus: conditions,
  CronJob: workload('CronJob'),
  CronJobSpec: { jobTemplate: { type: 'JobTemplateSpec' } },
  CronJobStatus: {},
  JobTemplateSpec: { ...meta, spec: { type: 'JobSpec' } },

  // core/v1, the rest
  Service: workload('Service'),
  ServiceSpec: { ports: merge('port') },
  ServiceStatus: conditions,
  Node: workload('Node'),
  NodeSpec: { podCIDRs: { strategy: 'merge' } },
  NodeStatus: { ...conditions, addresses: merge('type') },
  Namespace: workload('Namespace'),
  NamespaceSpec: {},
  NamespaceStatus: conditions,
  ServiceAccount: { ...meta, secrets: merge('name') },
  ConfigMap: meta,
  Secret: meta,
  Endpoints: meta,
  Event: meta,
  LimitRange: meta,
  ResourceQuota: meta,

  // other groups
  EndpointSlice: meta,
  Lease: meta,
  PriorityClass: meta,
  Scale: meta,
  PodDisruptionBudget: workload('PodDisruptionBudget'),
  PodDisruptionBudgetSpec: { selector: { strategy: 'replace' } },
  PodDisruptionBudgetStatus: conditions,
};

/** `group/Kind` (core group empty) → root type in PATCH_METADATA. */
const KIND_ROOTS: Record<string, string> = {
  '/Pod': 'Pod',
  '/PodTemplate': 'PodTemplate',
  '/Service': 'Service',
  '/Node': 'Node',
  '/Namespace': 'Namespace',
  '/ServiceAccount': 'ServiceAccount',
  '/ConfigMap': 'ConfigMap',
  '/Secret': 'Secret',
  '/Endpoints': 'Endpoints',
  '/Event': 'Event',
  '/LimitRange': 'LimitRange',
  '/ResourceQuota': 'ResourceQuota',
  'apps/Deployment': 'Deployment',
  'apps/ReplicaSet': 'ReplicaSet',
  'apps/DaemonSet': 'DaemonSet',
  'apps/StatefulSet': 'StatefulSet',
  'apps/ControllerRevision': 'ControllerRevision',
  'batch/Job': 'Job',
  'batch/CronJob': 'CronJob',
  'discovery.k8s.io/EndpointSlice': 'EndpointSlice',
  'coordination.k8s.io/Lease': 'Lease',
  'events.k8s.io/Event': 'Event',
  'scheduling.k8s.io/PriorityClass': 'PriorityClass',
  'autoscaling/Scale': 'Scale',
  'policy/PodDisruptionBudget': 'PodDisruptionBudget',
};

/** The root patch type of a kind, or undefined for kinds without patch metadata. */
export function patchTypeOfKind(group: string, kind: string): string | undefined {
  const key = `${group}/${kind}`;
  return Object.hasOwn(KIND_ROOTS, key) ? KIND_ROOTS[key] : undefined;
}

/** Patch metadata of `field` within `type`; empty when either is unknown. */
export function fieldPatchMeta(type: string | undefined, field: string): FieldPatchMeta {
  if (type === undefined || !Object.hasOwn(PATCH_METADATA, type)) return {};
  const fields = PATCH_METADATA[type];
  return Object.hasOwn(fields, field) ? fields[field] : {};
}

export function hasMergeStrategy(m: FieldPatchMeta): boolean {
  return m.strategy === 'merge' || m.strategy === 'merge,retainKeys';
}
