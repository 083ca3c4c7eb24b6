import type { Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { computeSubsets } from '../../../control-plane/controllers/endpoints-controller.js';
import { planSlices } from '../../../control-plane/controllers/endpointslice-controller.js';
import type { PodObject } from '../../../control-plane/controllers/replicaset-controller.js';
import { findPort } from '../../../control-plane/controllers/service-pods.js';

const svc: Service = {
  metadata: { name: 's', namespace: 'ns' },
  spec: { selector: { app: 's' }, ports: [{ name: 'web', port: 80, targetPort: 'http' }] },
};

function pod(
  i: number,
  o: { ready?: boolean; port?: number; deleting?: boolean; ip?: boolean } = {},
): PodObject {
  return {
    metadata: {
      name: `p${i}`,
      namespace: 'ns',
      uid: `u${i}`,
      labels: { app: 's' },
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: {
      nodeName: 'n1',
      containers: [{ name: 'c', image: 'x', ports: [{ name: 'http', containerPort: o.port ?? 8080 }] }],
    },
    status: {
      phase: 'Running',
      podIP: o.ip === false ? undefined : `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}`,
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

describe('endpoint slices', () => {
  it('resolves named target ports per pod', () => {
    expect(findPort(pod(1), { port: 80, targetPort: 'http' })).toBe(8080);
    expect(findPort(pod(1), { port: 80, targetPort: 'nope' })).toBeUndefined();
    expect(findPort(pod(1), { port: 80, targetPort: 9000 })).toBe(9000);
    expect(findPort(pod(1), { port: 80 })).toBe(80);
    expect(findPort(pod(1), { port: 80, targetPort: 'http', protocol: 'UDP' })).toBeUndefined();
  });

  it('splits into slices of at most 100 endpoints, grouped by port', () => {
    const pods = Array.from({ length: 250 }, (_, i) => pod(i));
    pods.push(pod(900, { port: 9090 }));
    const slices = planSlices(svc, pods);
    expect(slices.map((s) => s.endpoints.length)).toEqual([100, 100, 50, 1]);
    expect(slices[0].ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
    expect(slices[3].ports).toEqual([{ name: 'web', port: 9090, protocol: 'TCP' }]);
  });

  it('sets ready/serving/terminating and skips pods without an IP', () => {
    const slices = planSlices(svc, [
      pod(1),
      pod(2, { ready: false }),
      pod(3, { deleting: true }),
      pod(4, { ip: false }),
    ]);
    expect(slices).toHaveLength(1);
    const byName = Object.fromEntries(slices[0].endpoints.map((e) => [e.targetRef?.name, e.conditions]));
    expect(byName).toEqual({
      p1: { ready: true, serving: true, terminating: false },
      p2: { ready: false, serving: false, terminating: false },
      p3: { ready: false, serving: true, terminating: true },
    });
  });

  it('keeps one empty slice when nothing matches', () => {
    expect(planSlices(svc, [])).toEqual([{ ports: [], endpoints: [] }]);
  });

  it('puts ready pods in addresses and others in notReadyAddresses, terminating pods nowhere', () => {
    const subsets = computeSubsets(svc, [pod(1), pod(2, { ready: false }), pod(3, { deleting: true })]);
    expect(subsets).toHaveLength(1);
    expect(subsets[0].addresses?.map((a) => a.targetRef?.name)).toEqual(['p1']);
    expect(subsets[0].notReadyAddresses?.map((a) => a.targetRef?.name)).toEqual(['p2']);
    expect(subsets[0].ports).toEqual([{ name: 'web', port: 8080, protocol: 'TCP' }]);
  });
});
