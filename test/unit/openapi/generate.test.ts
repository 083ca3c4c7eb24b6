import { describe, expect, it } from 'vitest';
import { generateDefinitions } from '../../../api/openapi/generate.js';

const defs = generateDefinitions();

describe('generateDefinitions', () => {
  it('derives io.k8s.api.core.v1.Pod with its properties and group/version/kind', () => {
    const pod = defs['io.k8s.api.core.v1.Pod']!;
    expect(pod.type).toBe('object');
    expect(pod.description).toMatch(/collection of containers/);
    expect(Object.keys(pod.properties!)).toEqual(
      expect.arrayContaining(['apiVersion', 'kind', 'metadata', 'spec', 'status']),
    );
    expect(pod.properties!.spec!.$ref).toBe('#/definitions/io.k8s.api.core.v1.PodSpec');
    expect(pod['x-kubernetes-group-version-kind']).toEqual([{ group: '', version: 'v1', kind: 'Pod' }]);
  });

  it('gives named groups their group in the GVK and leaves non-kinds without one', () => {
    expect(defs['io.k8s.api.apps.v1.Deployment']!['x-kubernetes-group-version-kind']).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment' },
    ]);
    expect(defs['io.k8s.api.apps.v1.DeploymentSpec']!['x-kubernetes-group-version-kind']).toBeUndefined();
  });

  it('carries field descriptions, types and required fields', () => {
    const container = defs['io.k8s.api.core.v1.Container']!;
    expect(container.properties!.image!.description).toMatch(/Container image name/);
    expect(container.properties!.image!.type).toBe('string');
    expect(container.required).toEqual(['name']);
    expect(container.properties!.ports).toMatchObject({
      type: 'array',
      items: { $ref: '#/definitions/io.k8s.api.core.v1.ContainerPort' },
      'x-kubernetes-patch-merge-key': 'containerPort',
    });
    expect(defs['io.k8s.api.core.v1.PodSpec']!.required).toEqual(['containers']);
  });

  it('maps integers to int32, known wide fields to int64', () => {
    expect(defs['io.k8s.api.apps.v1.DeploymentSpec']!.properties!.replicas).toMatchObject({
      type: 'integer',
      format: 'int32',
    });
    expect(defs['io.k8s.api.core.v1.PodSpec']!.properties!.activeDeadlineSeconds).toMatchObject({
      format: 'int64',
    });
  });

  it('turns index signatures into additionalProperties and number|string into IntOrString', () => {
    expect(defs['io.k8s.api.core.v1.PodSpec']!.properties!.nodeSelector).toMatchObject({
      type: 'object',
      additionalProperties: { type: 'string' },
    });
    expect(defs['io.k8s.api.apps.v1.RollingUpdateDeployment']!.properties!.maxSurge!.$ref).toBe(
      '#/definitions/io.k8s.apimachinery.pkg.util.intstr.IntOrString',
    );
    expect(defs['io.k8s.api.core.v1.ResourceRequirements']!.properties!.limits!.additionalProperties).toEqual(
      {
        $ref: '#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity',
      },
    );
  });

  it('defines the apimachinery scalar types like upstream', () => {
    expect(defs['io.k8s.apimachinery.pkg.util.intstr.IntOrString']).toMatchObject({
      type: 'string',
      format: 'int-or-string',
    });
    expect(defs['io.k8s.apimachinery.pkg.api.resource.Quantity']).toMatchObject({ type: 'string' });
    expect(defs['io.k8s.apimachinery.pkg.apis.meta.v1.Time']).toMatchObject({
      type: 'string',
      format: 'date-time',
    });
    expect(defs['io.k8s.apimachinery.pkg.runtime.RawExtension']).toMatchObject({ type: 'object' });
    expect(
      defs['io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta']!.properties!.labels!.additionalProperties,
    ).toEqual({
      type: 'string',
    });
  });

  it('resolves every $ref to a generated definition', () => {
    const dangling = new Set<string>();
    const text = JSON.stringify(defs);
    for (const m of text.matchAll(/"\$ref":"#\/definitions\/([^"]+)"/g))
      if (!defs[m[1]!]) dangling.add(m[1]!);
    expect([...dangling]).toEqual([]);
  });
});
