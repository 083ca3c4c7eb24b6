import { describe, expect, it } from 'vitest';
import { planService } from '../../../proxy/service-plan.js';
import type { ProxyEndpoint, ServicePortInfo } from '../../../proxy/service-port-map.js';

const ep = (ip: string, nodeName: string): ProxyEndpoint => ({
  ip,
  port: 80,
  ready: true,
  serving: true,
  terminating: false,
  nodeName,
});

function svc(over: Partial<ServicePortInfo>): ServicePortInfo {
  return {
    key: 'ns/s:/TCP',
    namespace: 'ns',
    name: 's',
    portName: '',
    protocol: 'TCP',
    clusterIPs: ['10.96.0.1'],
    port: 80,
    externalIPs: [],
    loadBalancerIPs: [],
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    endpoints: [ep('10.244.1.1', 'a'), ep('10.244.2.1', 'b')],
    ...over,
  };
}

describe('planService', () => {
  it('routes to every endpoint by default', () => {
    const p = planService(svc({ nodePort: 30000 }), 'a');
    expect(p).toMatchObject({
      internal: 'cluster',
      external: 'cluster',
      needClusterChain: true,
      needLocalChain: false,
    });
  });

  it('rejects everywhere without endpoints', () => {
    const p = planService(svc({ endpoints: [], nodePort: 30000 }), 'a');
    expect(p).toMatchObject({ internal: 'reject', external: 'reject', needClusterChain: false });
  });

  it('uses local endpoints for externalTrafficPolicy Local and drops without them', () => {
    expect(planService(svc({ nodePort: 30000, externalPolicyLocal: true }), 'a')).toMatchObject({
      internal: 'cluster',
      external: 'local',
      needLocalChain: true,
    });
    expect(planService(svc({ nodePort: 30000, externalPolicyLocal: true }), 'c')).toMatchObject({
      external: 'drop',
      needClusterChain: true,
      needLocalChain: false,
    });
  });

  it('rejects ClusterIP traffic for internalTrafficPolicy Local without local endpoints', () => {
    expect(planService(svc({ internalPolicyLocal: true }), 'c').internal).toBe('reject');
    expect(planService(svc({ internalPolicyLocal: true }), 'b')).toMatchObject({
      internal: 'local',
      needClusterChain: false,
    });
  });

  it('has no external route without external destinations', () => {
    expect(planService(svc({}), 'a').external).toBeUndefined();
  });
});
