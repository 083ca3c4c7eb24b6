import { describe, expect, it } from 'vitest';
import { conntrackArgs, staleUdpFlows } from '../../../proxy/conntrack.js';
import type { ServicePortInfo } from '../../../proxy/service-port-map.js';

const ep = (ip: string) => ({ ip, port: 53, ready: true, serving: true, terminating: false, nodeName: 'n' });

function dns(ips: string[], over: Partial<ServicePortInfo> = {}): ServicePortInfo {
  return {
    key: 'kube-system/dns:dns/UDP',
    namespace: 'kube-system',
    name: 'dns',
    portName: 'dns',
    protocol: 'UDP',
    clusterIPs: ['10.96.0.10'],
    port: 53,
    externalIPs: [],
    loadBalancerIPs: [],
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    endpoints: ips.map(ep),
    ...over,
  };
}

describe('staleUdpFlows', () => {
  it('clears flows to a removed UDP backend, on every service address and the NodePort', () => {
    const flows = staleUdpFlows(
      { services: [dns(['10.244.0.1', '10.244.0.2'], { nodePort: 30053, externalIPs: ['192.0.2.1'] })] },
      { services: [dns(['10.244.0.2'], { nodePort: 30053, externalIPs: ['192.0.2.1'] })] },
      'n',
    );
    expect(flows).toEqual([
      { origDst: '10.96.0.10', dstNat: '10.244.0.1' },
      { origDst: '192.0.2.1', dstNat: '10.244.0.1' },
      { origPort: 30053, dstNat: '10.244.0.1' },
    ]);
  });

  it('clears flows remembered while a UDP service had no backend', () => {
    expect(staleUdpFlows({ services: [dns([])] }, { services: [dns(['10.244.0.1'])] }, 'n')).toEqual([
      { origDst: '10.96.0.10', origPort: 53 },
    ]);
  });

  it('leaves TCP and unchanged services alone', () => {
    const tcp = dns(['10.244.0.1'], { protocol: 'TCP', key: 'kube-system/dns:dns-tcp/TCP' });
    expect(
      staleUdpFlows({ services: [tcp, dns(['10.244.0.1'])] }, { services: [dns(['10.244.0.1'])] }, 'n'),
    ).toEqual([]);
  });

  it('clears everything of a deleted UDP service', () => {
    expect(staleUdpFlows({ services: [dns(['10.244.0.1'])] }, { services: [] }, 'n')).toEqual([
      { origDst: '10.96.0.10', dstNat: '10.244.0.1' },
    ]);
  });
});

describe('conntrackArgs', () => {
  it('builds conntrack -D filters', () => {
    expect(conntrackArgs({ origDst: '10.96.0.10', dstNat: '10.244.0.1' })).toEqual([
      '-D',
      '-p',
      'udp',
      '--orig-dst',
      '10.96.0.10',
      '--dst-nat',
      '10.244.0.1',
    ]);
    expect(conntrackArgs({ origPort: 30053 })).toEqual(['-D', '-p', 'udp', '--orig-port-dst', '30053']);
  });
});
