import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { RESOURCES } from '../resources.js';
import {
  validateNamespace,
  validateNode,
  validateNodeUpdate,
  validatePriorityClass,
  validatePriorityClassUpdate,
} from './cluster-kinds.js';
import {
  validateConfigMap,
  validateConfigMapUpdate,
  validateSecret,
  validateSecretUpdate,
} from './config-data.js';
import { validateEndpointSlice, validateEndpointSliceUpdate, validateEndpoints } from './endpoints.js';
import {
  validateCoreEvent,
  validateEventsEvent,
  validateEventsEventLegacy,
  validateEventsEventUpdate,
} from './events.js';
import { validateCronJob, validateJob, validateJobUpdate } from './jobs.js';
import {
  dns1035Name,
  labelName,
  type NameRule,
  subdomainName,
  validateObjectMeta,
  validateObjectMetaUpdate,
} from './object-meta.js';
import { validatePod, validatePodUpdate } from './pod.js';
import { schemaCheck } from './schema-check.js';
import { validateService, validateServiceUpdate } from './service.js';
import {
  validateControllerRevision,
  validateControllerRevisionUpdate,
  validateLease,
  validateLimitRange,
  validatePodTemplate,
  validateResourceQuota,
} from './small-kinds.js';
import {
  validateDaemonSet,
  validateDaemonSetUpdate,
  validateDeployment,
  validateDeploymentUpdate,
  validateReplicaSet,
  validateReplicaSetUpdate,
  validateStatefulSet,
  validateStatefulSetUpdate,
} from './workloads.js';

export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

// The typed validators take kubernetes-types shapes; objects reach them after the schema check.
// biome-ignore lint/suspicious/noExplicitAny: each entry narrows the object to its own kind
type Check = (obj: any) => FieldError[];
// biome-ignore lint/suspicious/noExplicitAny: as above, for (new, old) pairs
type UpdateCheck = (next: any, old: any) => FieldError[];

interface KindRules {
  name?: NameRule;
  create?: Check;
  /** The new object's own rules on update, where they are not the create rules. */
  updateOwn?: Check;
  update?: UpdateCheck;
}

const RULES: Record<string, KindRules> = {
  '/Namespace': { name: labelName, create: validateNamespace },
  '/Pod': { create: validatePod, update: validatePodUpdate },
  '/Node': { create: validateNode, update: validateNodeUpdate },
  '/Service': { name: dns1035Name, create: validateService, update: validateServiceUpdate },
  '/Endpoints': { create: validateEndpoints },
  '/ConfigMap': { create: validateConfigMap, update: validateConfigMapUpdate },
  '/Secret': { create: validateSecret, update: validateSecretUpdate },
  // Core Events keep the same rules on update (old clients rewrite any field); see events.ts.
  '/Event': { create: validateCoreEvent },
  '/LimitRange': { create: validateLimitRange },
  '/ResourceQuota': { create: validateResourceQuota },
  '/PodTemplate': { create: validatePodTemplate },
  'apps/Deployment': { create: validateDeployment, update: validateDeploymentUpdate },
  'apps/ReplicaSet': { create: validateReplicaSet, update: validateReplicaSetUpdate },
  'apps/DaemonSet': { create: validateDaemonSet, update: validateDaemonSetUpdate },
  'apps/StatefulSet': { create: validateStatefulSet, update: validateStatefulSetUpdate },
  'apps/ControllerRevision': { create: validateControllerRevision, update: validateControllerRevisionUpdate },
  'batch/Job': { create: validateJob, update: validateJobUpdate },
  'batch/CronJob': { create: validateCronJob },
  'discovery.k8s.io/EndpointSlice': { create: validateEndpointSlice, update: validateEndpointSliceUpdate },
  'coordination.k8s.io/Lease': { create: validateLease },
  'events.k8s.io/Event': {
    create: validateEventsEvent,
    updateOwn: validateEventsEventLegacy,
    update: validateEventsEventUpdate,
  },
  'scheduling.k8s.io/PriorityClass': { create: validatePriorityClass, update: validatePriorityClassUpdate },
};

function rulesFor(gvk: GroupVersionKind): KindRules {
  return RULES[`${gvk.group}/${gvk.kind}`] ?? {};
}

function isNamespaced(gvk: GroupVersionKind): boolean {
  const def = RESOURCES.find(
    (r) => r.group === gvk.group && r.version === gvk.version && r.kind === gvk.kind,
  );
  return def?.namespaced ?? true;
}

/** Merges errors, keeping the first per field and message. */
function merge(...lists: FieldError[][]): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  for (const list of lists) {
    for (const e of list) {
      const key = `${e.field}\u0000${e.message}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(e);
    }
  }
  return out;
}

function validateObject(
  gvk: GroupVersionKind,
  obj: KubeObject,
  updating: boolean,
): { errors: FieldError[]; malformed: boolean } {
  const schema = schemaCheck(gvk.group, gvk.version, gvk.kind, obj);
  // Wrongly typed input would only confuse the semantic checks, as a decode error stops upstream.
  if (schema.typeErrors.length > 0) return { errors: schema.typeErrors, malformed: true };
  const rules = rulesFor(gvk);
  const meta = validateObjectMeta(obj.metadata, {
    namespaced: isNamespaced(gvk),
    nameRule: rules.name ?? subdomainName,
  });
  const own = updating ? (rules.updateOwn ?? rules.create) : rules.create;
  const specific = own?.(obj) ?? [];
  const reported = new Set([...meta, ...specific].map((e) => e.field));
  const soft = schema.soft.filter((e) => !reported.has(e.field));
  return { errors: merge(meta, specific, soft), malformed: false };
}

/** Every rule for a new object of this kind; an empty list means it may be stored. */
export function validateCreate(gvk: GroupVersionKind, obj: KubeObject): FieldError[] {
  return validateObject(gvk, obj, false).errors;
}

/** The new object's own rules plus what may not change from the old one. */
export function validateUpdate(gvk: GroupVersionKind, obj: KubeObject, old: KubeObject): FieldError[] {
  const own = validateObject(gvk, obj, true);
  if (own.malformed) return own.errors;
  const meta = validateObjectMetaUpdate(obj.metadata, old.metadata);
  const specific = rulesFor(gvk).update?.(obj, old) ?? [];
  return merge(meta, specific, own.errors);
}
