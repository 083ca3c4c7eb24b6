import { describe, expect, it } from 'vitest';
import { buildV2 } from '../../../api/openapi/v2.js';
import { buildV3GroupVersion, buildV3Root } from '../../../api/openapi/v3.js';
import { RESOURCES } from '../../../api/resources.js';

interface Param {
  name: string;
  in: string;
}
interface Op {
  parameters?: Param[];
  requestBody?: { content: Record<string, unknown> };
  'x-kubernetes-group-version-kind'?: unknown;
  'x-kubernetes-action'?: string;
}
interface Doc {
  openapi: string;
  paths: Record<string, Record<string, Op>>;
  components: { schemas: Record<string, Record<string, unknown>> };
}

const apps = buildV3GroupVersion('apps', 'v1', RESOURCES) as Doc;

describe('OpenAPI v3', () => {
  it('indexes every served group/version with a hashed serverRelativeURL', () => {
    const root = buildV3Root(RESOURCES);
    expect(root.paths['api/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}$/);
    expect(root.paths['apis/apps/v1']!.serverRelativeURL).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=/);
    expect(buildV3Root(RESOURCES)).toEqual(root);
  });

  it('lists fieldValidation on the deployments PATCH operation, tagged with the kind', () => {
    expect(apps.openapi).toBe('3.0.0');
    const patch = apps.paths['/apis/apps/v1/namespaces/{namespace}/deployments/{name}']!.patch!;
    expect(patch['x-kubernetes-group-version-kind']).toEqual({
      group: 'apps',
      version: 'v1',
      kind: 'Deployment',
    });
    expect(patch['x-kubernetes-action']).toBe('patch');
    expect(patch.parameters!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['fieldValidation', 'dryRun', 'fieldManager', 'force']),
    );
    expect(Object.keys(patch.requestBody!.content)).toEqual([
      'application/apply-patch+yaml',
      'application/json-patch+json',
      'application/merge-patch+json',
      'application/strategic-merge-patch+json',
    ]);
  });

  it('serves collection, item, status and scale paths for namespaced and cluster resources', () => {
    const paths = Object.keys(apps.paths);
    expect(paths).toContain('/apis/apps/v1/namespaces/{namespace}/deployments');
    expect(paths).toContain('/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale');
    expect(paths).toContain('/apis/apps/v1/deployments');
    const core = buildV3GroupVersion('', 'v1', RESOURCES) as Doc;
    expect(Object.keys(core.paths)).toContain('/api/v1/nodes/{name}');
    expect(core.paths['/api/v1/namespaces/{namespace}/pods']!.post!['x-kubernetes-action']).toBe('post');
    expect(buildV3GroupVersion('nothing', 'v1', RESOURCES)).toBeUndefined();
  });

  it('holds the reachable schemas with component refs and the kind GVK', () => {
    const schemas = apps.components.schemas;
    expect(schemas['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']).toBeDefined();
    expect(schemas['io.k8s.api.core.v1.Container']).toBeDefined();
    expect(schemas['io.k8s.api.core.v1.Node']).toBeUndefined();
    const deployment = schemas['io.k8s.api.apps.v1.Deployment']!;
    expect(deployment['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    const spec = (deployment.properties as Record<string, Record<string, unknown>>).spec!;
    expect(spec.allOf).toEqual([{ $ref: '#/components/schemas/io.k8s.api.apps.v1.DeploymentSpec' }]);
    expect(spec.description).toMatch(/desired behavior/);
    expect(JSON.stringify(apps)).not.toContain('#/definitions/');
  });
});

describe('OpenAPI v2', () => {
  it('builds one Swagger 2.0 document with definitions and paths', () => {
    const doc = buildV2(RESOURCES) as {
      swagger: string;
      paths: Record<string, unknown>;
      definitions: Record<string, unknown>;
    };
    expect(doc.swagger).toBe('2.0');
    expect(doc.paths['/api/v1/namespaces/{namespace}/pods/{name}']).toBeDefined();
    expect(doc.definitions['io.k8s.api.apps.v1.Deployment']).toBeDefined();
  });
});
