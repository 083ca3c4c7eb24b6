import type { ResourceRef } from '../client/rest-client.js';

export const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
export const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
export const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};
export const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
