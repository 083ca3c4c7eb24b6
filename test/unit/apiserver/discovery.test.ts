import { describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { Discovery } from '../../../control-plane/apiserver/discovery.js';

const discovery = new Discovery(RESOURCES);

describe('discovery documents', () => {
  it('lists subresources in the legacy resource list with their own kinds', () => {
    const list = discovery.resourceList('apps', 'v1') as {
      resources: { name: string; kind: string; group?: string }[];
    };
    expect(list.resources).toContainEqual(
      expect.objectContaining({ name: 'deployments', kind: 'Deployment' }),
    );
    expect(list.resources).toContainEqual(
      expect.objectContaining({ name: 'deployments/scale', kind: 'Scale', group: 'autoscaling' }),
    );
    const core = discovery.resourceList('', 'v1') as { resources: { name: string; verbs: string[] }[] };
    expect(core.resources.find((r) => r.name === 'pods/binding')?.verbs).toEqual(['create']);
  });

  it('serves aggregated discovery split into legacy and named groups', () => {
    const legacy = discovery.aggregated(true, 'v2') as { items: { metadata: { name: string } }[] };
    expect(legacy.items.map((i) => i.metadata.name)).toEqual(['']);
    const groups = discovery.aggregated(false, 'v2') as {
      apiVersion: string;
      items: {
        metadata: { name: string };
        versions: { resources: { resource: string; scope: string }[] }[];
      }[];
    };
    expect(groups.apiVersion).toBe('apidiscovery.k8s.io/v2');
    const names = groups.items.map((i) => i.metadata.name);
    expect(names).toContain('apps');
    expect(names).toContain('authorization.k8s.io');
    expect(names).not.toContain('');
    const leases = groups.items.find((i) => i.metadata.name === 'coordination.k8s.io')?.versions[0]
      .resources[0];
    expect(leases).toMatchObject({ resource: 'leases', scope: 'Namespaced' });
  });

  it('answers undefined for unknown groups and versions', () => {
    expect(discovery.resourceList('nope.example.com', 'v1')).toBeUndefined();
    expect(discovery.apiGroup('')).toBeUndefined();
    expect(discovery.resourceList('apps', 'v2')).toBeUndefined();
  });
});
