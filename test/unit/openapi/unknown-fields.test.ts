import { describe, expect, it } from 'vitest';
import { findUnknownFields } from '../../../api/openapi/unknown-fields.js';

const DEPLOYMENT = 'io.k8s.api.apps.v1.Deployment';

function deployment(): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: 'web',
      namespace: 'default',
      labels: { app: 'web', 'example.com/any-name_at.all': 'x' },
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{}' },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 1 } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          containers: [
            {
              name: 'web',
              image: 'busybox',
              command: ['sh', '-c', 'sleep 1000'],
              ports: [{ containerPort: 80, protocol: 'TCP' }],
              env: [{ name: 'A', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
              resources: { limits: { cpu: '100m', memory: '64Mi' }, requests: { cpu: 0.1 } },
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 5 },
            },
          ],
          nodeSelector: { 'kubernetes.io/os': 'linux' },
          volumes: [{ name: 'data', emptyDir: {} }],
        },
      },
    },
  };
}

describe('findUnknownFields', () => {
  it('accepts a full valid Deployment', () => {
    expect(findUnknownFields(deployment(), DEPLOYMENT)).toEqual([]);
  });

  it('reports a misspelled top-level spec field', () => {
    const d = deployment();
    (d.spec as Record<string, unknown>).replicass = 3;
    expect(findUnknownFields(d, DEPLOYMENT)).toEqual(['spec.replicass']);
  });

  it('reports fields inside list items with their index', () => {
    const d = deployment();
    const spec = (d.spec as { template: { spec: { containers: Record<string, unknown>[] } } }).template.spec;
    spec.containers.push({ name: 'second', image: 'x', imagee: 'typo' });
    expect(findUnknownFields(d, DEPLOYMENT)).toEqual(['spec.template.spec.containers[1].imagee']);
    spec.containers[0]!.imagee = 'y';
    expect(findUnknownFields(d, DEPLOYMENT)).toEqual([
      'spec.template.spec.containers[0].imagee',
      'spec.template.spec.containers[1].imagee',
    ]);
  });

  it('accepts labels and annotations of any name but checks the metadata fields', () => {
    const d = deployment();
    (d.metadata as Record<string, unknown>).labelz = {};
    expect(findUnknownFields(d, DEPLOYMENT)).toEqual(['metadata.labelz']);
  });

  it('reports unknown top-level fields and accepts embedded raw objects', () => {
    expect(findUnknownFields({ apiVersion: 'v1', kind: 'Pod', extra: 1 }, 'io.k8s.api.core.v1.Pod')).toEqual([
      'extra',
    ]);
    const revision = {
      apiVersion: 'apps/v1',
      kind: 'ControllerRevision',
      revision: 1,
      data: { anything: { goes: [1] } },
    };
    expect(findUnknownFields(revision, 'io.k8s.api.apps.v1.ControllerRevision')).toEqual([]);
  });

  it('throws for an unknown definition', () => {
    expect(() => findUnknownFields({}, 'io.k8s.api.core.v1.Nope')).toThrow(/unknown OpenAPI definition/);
  });
});
