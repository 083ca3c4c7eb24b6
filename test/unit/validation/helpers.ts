import { applyDefaults } from '../../../api/defaults/index.js';
import type { FieldError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { validateCreate, validateUpdate } from '../../../api/validation/index.js';

export const GVK = {
  pod: { group: '', version: 'v1', kind: 'Pod' },
  service: { group: '', version: 'v1', kind: 'Service' },
  namespace: { group: '', version: 'v1', kind: 'Namespace' },
  node: { group: '', version: 'v1', kind: 'Node' },
  configMap: { group: '', version: 'v1', kind: 'ConfigMap' },
  secret: { group: '', version: 'v1', kind: 'Secret' },
  event: { group: '', version: 'v1', kind: 'Event' },
  endpoints: { group: '', version: 'v1', kind: 'Endpoints' },
  deployment: { group: 'apps', version: 'v1', kind: 'Deployment' },
  replicaSet: { group: 'apps', version: 'v1', kind: 'ReplicaSet' },
  daemonSet: { group: 'apps', version: 'v1', kind: 'DaemonSet' },
  statefulSet: { group: 'apps', version: 'v1', kind: 'StatefulSet' },
  job: { group: 'batch', version: 'v1', kind: 'Job' },
  cronJob: { group: 'batch', version: 'v1', kind: 'CronJob' },
  endpointSlice: { group: 'discovery.k8s.io', version: 'v1', kind: 'EndpointSlice' },
  lease: { group: 'coordination.k8s.io', version: 'v1', kind: 'Lease' },
  eventsEvent: { group: 'events.k8s.io', version: 'v1', kind: 'Event' },
  priorityClass: { group: 'scheduling.k8s.io', version: 'v1', kind: 'PriorityClass' },
};

/** Objects under test are read and edited deep down; typing each shape would only add noise. */
export type Loose = any;

export type Gvk = (typeof GVK)[keyof typeof GVK];

export function podSpec(extra: Record<string, unknown> = {}) {
  return { containers: [{ name: 'app', image: 'nginx:1.25' }], ...extra };
}

export function podTemplate(
  labels: Record<string, string> = { app: 'web' },
  extra: Record<string, unknown> = {},
) {
  return { metadata: { labels }, spec: podSpec(extra) };
}

/** An object with name (and namespace when asked), run through defaulting as the server does. */
export function make(
  gvk: Gvk,
  fields: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): KubeObject {
  const obj = structuredClone({
    metadata: { name: 'x', namespace: 'default', ...meta },
    ...fields,
  }) as KubeObject;
  applyDefaults(gvk, obj);
  return obj;
}

export function create(
  gvk: Gvk,
  fields: Record<string, unknown>,
  meta: Record<string, unknown> = {},
): FieldError[] {
  return validateCreate(gvk, make(gvk, fields, meta));
}

export function update(gvk: Gvk, next: KubeObject, old: KubeObject): FieldError[] {
  const n = structuredClone(next);
  applyDefaults(gvk, n);
  return validateUpdate(gvk, n, old);
}

/** `field: message` lines, as kubectl prints them. */
export function lines(errors: FieldError[]): string[] {
  return errors.map((e) => `${e.field}: ${e.message}`);
}
