import { describe, expect, it } from 'vitest';
import { applyDefaults } from '../../../api/defaults/index.js';
import type { KubeObject } from '../../../api/object.js';

type Loose = any;

function defaulted(group: string, kind: string, fields: Record<string, unknown>, name = 'x'): Loose {
  const obj: KubeObject = { metadata: { name }, ...fields };
  applyDefaults({ group, version: 'v1', kind }, obj);
  return obj;
}

describe('service defaults', () => {
  it('defaults a ClusterIP service', () => {
    const svc = defaulted('', 'Service', { spec: { selector: { app: 'web' }, ports: [{ port: 80 }] } });
    expect(svc.spec).toEqual({
      selector: { app: 'web' },
      ports: [{ port: 80, protocol: 'TCP', targetPort: 80 }],
      type: 'ClusterIP',
      sessionAffinity: 'None',
      internalTrafficPolicy: 'Cluster',
      ipFamilyPolicy: 'SingleStack',
      ipFamilies: ['IPv4'],
    });
  });

  it('keeps a named target port and defaults traffic policy for NodePort and LoadBalancer', () => {
    const np = defaulted('', 'Service', {
      spec: { type: 'NodePort', ports: [{ port: 80, targetPort: 'http' }] },
    });
    expect(np.spec.ports[0].targetPort).toBe('http');
    expect(np.spec.externalTrafficPolicy).toBe('Cluster');
    const lb = defaulted('', 'Service', {
      spec: { type: 'LoadBalancer', ports: [{ port: 443, protocol: 'UDP' }] },
    });
    expect(lb.spec.externalTrafficPolicy).toBe('Cluster');
    expect(lb.spec.allocateLoadBalancerNodePorts).toBe(true);
    expect(lb.spec.ports[0].protocol).toBe('UDP');
  });

  it('gives ClientIP affinity its timeout and leaves ExternalName without IP families', () => {
    const sticky = defaulted('', 'Service', { spec: { sessionAffinity: 'ClientIP', ports: [{ port: 80 }] } });
    expect(sticky.spec.sessionAffinityConfig).toEqual({ clientIP: { timeoutSeconds: 10800 } });
    const ext = defaulted('', 'Service', { spec: { type: 'ExternalName', externalName: 'example.com' } });
    expect(ext.spec.ipFamilies).toBeUndefined();
    expect(ext.spec.internalTrafficPolicy).toBeUndefined();
    expect(ext.spec.sessionAffinity).toBe('None');
  });
});

describe('other kinds', () => {
  it('defaults a Namespace: finalizer, phase and the name label', () => {
    const ns = defaulted('', 'Namespace', {}, 'team-a');
    expect(ns.spec).toEqual({ finalizers: ['kubernetes'] });
    expect(ns.status).toEqual({ phase: 'Active' });
    expect(ns.metadata.labels).toEqual({ 'kubernetes.io/metadata.name': 'team-a' });
  });

  it('does not re-add the finalizer once deletion has started', () => {
    const ns = defaulted('', 'Namespace', { spec: { finalizers: [] }, status: { phase: 'Terminating' } });
    expect(ns.spec.finalizers).toEqual(['kubernetes']);
    const deleting: KubeObject = {
      metadata: { name: 'gone', deletionTimestamp: '2024-01-01T00:00:00Z' },
      spec: { finalizers: [] },
      status: { phase: 'Terminating' },
    };
    applyDefaults({ group: '', version: 'v1', kind: 'Namespace' }, deleting);
    expect(deleting.spec).toEqual({ finalizers: [] });
  });

  it('keeps a terminating Namespace terminating', () => {
    const ns = defaulted('', 'Namespace', { status: { phase: 'Terminating' } });
    expect(ns.status.phase).toBe('Terminating');
  });

  it('types a Secret Opaque and folds stringData into data', () => {
    const s = defaulted('', 'Secret', { data: { a: 'YQ==' }, stringData: { b: 'hello' } });
    expect(s.type).toBe('Opaque');
    expect(s.data).toEqual({ a: 'YQ==', b: Buffer.from('hello').toString('base64') });
    expect(s.stringData).toBeUndefined();
    expect(defaulted('', 'Secret', { type: 'kubernetes.io/tls' }).type).toBe('kubernetes.io/tls');
  });

  it('defaults endpoint port protocols', () => {
    const ep = defaulted('', 'Endpoints', {
      subsets: [{ addresses: [{ ip: '10.0.0.1' }], ports: [{ port: 80 }] }],
    });
    expect(ep.subsets[0].ports[0].protocol).toBe('TCP');
    const es = defaulted('discovery.k8s.io', 'EndpointSlice', {
      addressType: 'IPv4',
      endpoints: [],
      ports: [{ port: 80 }],
    });
    expect(es.ports[0]).toEqual({ port: 80, protocol: 'TCP', name: '' });
    const empty = defaulted('discovery.k8s.io', 'EndpointSlice', { addressType: 'IPv4', endpoints: null });
    expect(empty.endpoints).toEqual([]);
  });

  it('defaults a PriorityClass preemption policy and a Node allocatable', () => {
    expect(defaulted('scheduling.k8s.io', 'PriorityClass', { value: 10 }).preemptionPolicy).toBe(
      'PreemptLowerPriority',
    );
    const node = defaulted('', 'Node', { status: { capacity: { cpu: '2' } } });
    expect(node.status.allocatable).toEqual({ cpu: '2' });
  });

  it('leaves kinds without defaults untouched', () => {
    const cm = defaulted('', 'ConfigMap', { data: { a: 'b' } });
    expect(cm).toEqual({ metadata: { name: 'x' }, data: { a: 'b' } });
  });
});

describe('malformed input', () => {
  it('does not throw on wrongly typed fields, leaving them to validation', () => {
    const obj: KubeObject = {
      metadata: { name: 'p' },
      spec: { containers: { name: 'app' }, volumes: 'none' },
    };
    expect(() => applyDefaults({ group: '', version: 'v1', kind: 'Pod' }, obj)).not.toThrow();
    const svc: KubeObject = { metadata: { name: 's' }, spec: 'oops' };
    expect(() => applyDefaults({ group: '', version: 'v1', kind: 'Service' }, svc)).not.toThrow();
  });
});

describe('nulls', () => {
  it('drops JSON nulls so that null fields get their defaults', () => {
    const obj: KubeObject = {
      metadata: { name: 'd', creationTimestamp: null as never },
      spec: {
        replicas: null,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { creationTimestamp: null, labels: { app: 'web' } },
          spec: { containers: [{ name: 'c', image: 'a:1', resources: {} }] },
        },
      },
      status: null,
    };
    applyDefaults({ group: 'apps', version: 'v1', kind: 'Deployment' }, obj);
    const spec = obj.spec as { replicas: number; template: { metadata: Record<string, unknown> } };
    expect(spec.replicas).toBe(1);
    expect(spec.template.metadata).toEqual({ labels: { app: 'web' } });
    expect('status' in obj).toBe(false);
    expect('creationTimestamp' in obj.metadata).toBe(false);
  });

  it('drops nulls for kinds without defaults too', () => {
    const obj: KubeObject = { metadata: { name: 'c' }, data: { a: 'b' }, binaryData: null };
    applyDefaults({ group: '', version: 'v1', kind: 'ConfigMap' }, obj);
    expect(obj).toEqual({ metadata: { name: 'c' }, data: { a: 'b' } });
  });
});
