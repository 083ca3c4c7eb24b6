import { RESOURCES, type ResourceDef } from '../../api/resources.js';

function resource(group: string, plural: string): ResourceDef {
  const def = RESOURCES.find((r) => r.group === group && r.plural === plural);
  if (!def) throw new Error(`resource ${plural}.${group} is not registered`);
  return def;
}

/** The resources the controllers work with, looked up once in the registry. */
export const NAMESPACES = resource('', 'namespaces');
export const PODS = resource('', 'pods');
export const NODES = resource('', 'nodes');
export const SERVICES = resource('', 'services');
export const ENDPOINTS = resource('', 'endpoints');
export const SERVICE_ACCOUNTS = resource('', 'serviceaccounts');
export const REPLICA_SETS = resource('apps', 'replicasets');
export const DEPLOYMENTS = resource('apps', 'deployments');
export const ENDPOINT_SLICES = resource('discovery.k8s.io', 'endpointslices');
export const JOBS = resource('batch', 'jobs');
export const LEASES = resource('coordination.k8s.io', 'leases');
export const CRON_JOBS = resource('batch', 'cronjobs');
export const DAEMON_SETS = resource('apps', 'daemonsets');
export const CONTROLLER_REVISIONS = resource('apps', 'controllerrevisions');
export const STATEFUL_SETS = resource('apps', 'statefulsets');
export const POD_DISRUPTION_BUDGETS = resource('policy', 'poddisruptionbudgets');
