import { apiVersionOf, type KubeObject } from './object.js';

/**
 * The registry of served resources: each resource is data (group, version, kind, names, scope,
 * subresources), from which routing, discovery, OpenAPI and storage keys are all derived.
 */
export interface ResourceDef {
  group: string;
  version: string;
  kind: string;
  listKind: string;
  plural: string;
  singular: string;
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  /** Subresources served, e.g. `status`, `scale`, `binding`, `log`. */
  subresources: string[];
  verbs: string[];
  /** Key under /openapi definitions: `io.k8s.api.core.v1.Pod`. */
  definition: string;
}

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

interface Spec {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  subresources?: string[];
  verbs?: string[];
  definitionPackage: string;
}

function define(s: Spec): ResourceDef {
  return {
    group: s.group,
    version: s.version,
    kind: s.kind,
    listKind: `${s.kind}List`,
    plural: s.plural,
    singular: s.kind.toLowerCase(),
    namespaced: s.namespaced,
    shortNames: s.shortNames ?? [],
    categories: s.categories ?? [],
    subresources: s.subresources ?? [],
    verbs: s.verbs ?? ALL_VERBS,
    definition: `${s.definitionPackage}.${s.version}.${s.kind}`,
  };
}

const core = (kind: string, plural: string, rest: Partial<Spec> = {}): ResourceDef =>
  define({
    group: '',
    version: 'v1',
    kind,
    plural,
    namespaced: true,
    definitionPackage: 'io.k8s.api.core',
    ...rest,
  });

export const RESOURCES: readonly ResourceDef[] = [
  core('Namespace', 'namespaces', {
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    verbs: ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  core('Pod', 'pods', {
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['status', 'binding', 'eviction', 'log', 'exec', 'attach', 'portforward'],
  }),
  core('Node', 'nodes', { namespaced: false, shortNames: ['no'], subresources: ['status', 'proxy'] }),
  core('Service', 'services', {
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status', 'proxy'],
    verbs: ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'],
  }),
  core('Endpoints', 'endpoints', { shortNames: ['ep'] }),
  core('ConfigMap', 'configmaps', { shortNames: ['cm'] }),
  core('Secret', 'secrets'),
  core('ServiceAccount', 'serviceaccounts', { shortNames: ['sa'], subresources: ['token'] }),
  core('Event', 'events', { shortNames: ['ev'] }),
  core('LimitRange', 'limitranges', { shortNames: ['limits'] }),
  core('ResourceQuota', 'resourcequotas', { shortNames: ['quota'], subresources: ['status'] }),
  core('PodTemplate', 'podtemplates'),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'Deployment',
    plural: 'deployments',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    definitionPackage: 'io.k8s.api.apps',
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'ReplicaSet',
    plural: 'replicasets',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    definitionPackage: 'io.k8s.api.apps',
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'DaemonSet',
    plural: 'daemonsets',
    namespaced: true,
    shortNames: ['ds'],
    categories: ['all'],
    subresources: ['status'],
    definitionPackage: 'io.k8s.api.apps',
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'StatefulSet',
    plural: 'statefulsets',
    namespaced: true,
    shortNames: ['sts'],
    categories: ['all'],
    subresources: ['status', 'scale'],
    definitionPackage: 'io.k8s.api.apps',
  }),
  define({
    group: 'apps',
    version: 'v1',
    kind: 'ControllerRevision',
    plural: 'controllerrevisions',
    namespaced: true,
    definitionPackage: 'io.k8s.api.apps',
  }),
  define({
    group: 'batch',
    version: 'v1',
    kind: 'Job',
    plural: 'jobs',
    namespaced: true,
    categories: ['all'],
    subresources: ['status'],
    definitionPackage: 'io.k8s.api.batch',
  }),
  define({
    group: 'batch',
    version: 'v1',
    kind: 'CronJob',
    plural: 'cronjobs',
    namespaced: true,
    shortNames: ['cj'],
    categories: ['all'],
    subresources: ['status'],
    definitionPackage: 'io.k8s.api.batch',
  }),
  define({
    group: 'discovery.k8s.io',
    version: 'v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
    definitionPackage: 'io.k8s.api.discovery',
  }),
  define({
    group: 'coordination.k8s.io',
    version: 'v1',
    kind: 'Lease',
    plural: 'leases',
    namespaced: true,
    definitionPackage: 'io.k8s.api.coordination',
  }),
  define({
    group: 'events.k8s.io',
    version: 'v1',
    kind: 'Event',
    plural: 'events',
    namespaced: true,
    shortNames: ['ev'],
    definitionPackage: 'io.k8s.api.events',
  }),
  define({
    group: 'policy',
    version: 'v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
    shortNames: ['pdb'],
    subresources: ['status'],
    definitionPackage: 'io.k8s.api.policy',
  }),
  define({
    group: 'scheduling.k8s.io',
    version: 'v1',
    kind: 'PriorityClass',
    plural: 'priorityclasses',
    namespaced: false,
    shortNames: ['pc'],
    definitionPackage: 'io.k8s.api.scheduling',
  }),
];

export function groupVersions(
  resources: readonly ResourceDef[] = RESOURCES,
): { group: string; version: string }[] {
  const seen = new Map<string, { group: string; version: string }>();
  for (const r of resources) seen.set(`${r.group}/${r.version}`, { group: r.group, version: r.version });
  return [...seen.values()];
}

export function findResource(
  group: string,
  version: string,
  plural: string,
  resources: readonly ResourceDef[] = RESOURCES,
): ResourceDef | undefined {
  return resources.find((r) => r.group === group && r.version === version && r.plural === plural);
}

export function findByKind(
  apiVersion: string,
  kind: string,
  resources: readonly ResourceDef[] = RESOURCES,
): ResourceDef | undefined {
  return resources.find((r) => apiVersionOfResource(r) === apiVersion && r.kind === kind);
}

export function apiVersionOfResource(def: Pick<ResourceDef, 'group' | 'version'>): string {
  return apiVersionOf(def.group, def.version);
}

/** The object with apiVersion and kind of its resource filled in when missing (the same object when present). */
export function withTypeMeta(def: ResourceDef, obj: KubeObject): KubeObject {
  if (obj.apiVersion && obj.kind) return obj;
  return { apiVersion: apiVersionOfResource(def), kind: def.kind, ...obj };
}
