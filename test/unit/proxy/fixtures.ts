import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';

export function service(
  name: string,
  spec: Service['spec'],
  extra: { namespace?: string; status?: Service['status']; labels?: Record<string, string> } = {},
): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: extra.namespace ?? 'default', labels: extra.labels, resourceVersion: '1' },
    spec,
    status: extra.status,
  };
}

export interface EpSpec {
  ip: string;
  node?: string;
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export function slice(
  svcName: string,
  sliceName: string,
  ports: { name?: string; port: number; protocol?: string }[],
  eps: EpSpec[],
  extra: { namespace?: string; triggerTime?: string } = {},
): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: sliceName,
      namespace: extra.namespace ?? 'default',
      labels: { 'kubernetes.io/service-name': svcName },
      annotations: extra.triggerTime
        ? { 'endpoints.kubernetes.io/last-change-trigger-time': extra.triggerTime }
        : {},
      resourceVersion: '1',
    },
    addressType: 'IPv4',
    ports: ports.map((p) => ({ name: p.name, port: p.port, protocol: p.protocol ?? 'TCP' })),
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      nodeName: e.node,
      conditions: {
        ready: e.ready ?? true,
        serving: e.serving ?? e.ready ?? true,
        terminating: e.terminating ?? false,
      },
    })),
  };
}

/** A mix covering every feature: ClusterIP, NodePort, LB, externalIPs, affinity, policies, none. */
export function sampleObjects(): { services: Service[]; slices: EndpointSlice[] } {
  const services = [
    service('web', {
      type: 'NodePort',
      clusterIP: '10.96.0.10',
      clusterIPs: ['10.96.0.10'],
      ports: [{ name: 'http', port: 80, targetPort: 8080, nodePort: 30080, protocol: 'TCP' }],
    }),
    service('dns', {
      clusterIP: '10.96.0.53',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53, protocol: 'TCP' },
      ],
    }),
    service('empty', { clusterIP: '10.96.0.20', ports: [{ port: 8080 }] }),
    service(
      'lb',
      {
        type: 'LoadBalancer',
        clusterIP: '10.96.0.30',
        externalIPs: ['192.0.2.10'],
        externalTrafficPolicy: 'Local',
        healthCheckNodePort: 32000,
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
        ports: [{ name: 'https', port: 443, nodePort: 30443 }],
      },
      { status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }] } } },
    ),
    service('internal', {
      clusterIP: '10.96.0.40',
      internalTrafficPolicy: 'Local',
      ports: [{ port: 9000 }],
    }),
    service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
  ];
  const slices = [
    slice(
      'web',
      'web-abc',
      [{ name: 'http', port: 8080 }],
      [
        { ip: '10.244.1.2', node: 'node-a' },
        { ip: '10.244.2.3', node: 'node-b' },
        { ip: '10.244.1.9', node: 'node-a', ready: false },
      ],
    ),
    slice(
      'dns',
      'dns-1',
      [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'dns-tcp', port: 53 },
      ],
      [{ ip: '10.244.1.5', node: 'node-a' }],
    ),
    slice(
      'lb',
      'lb-1',
      [{ name: 'https', port: 8443 }],
      [
        { ip: '10.244.1.7', node: 'node-a' },
        { ip: '10.244.2.7', node: 'node-b' },
      ],
    ),
    slice('internal', 'internal-1', [{ port: 9000 }], [{ ip: '10.244.2.8', node: 'node-b' }]),
  ];
  return { services, slices };
}
