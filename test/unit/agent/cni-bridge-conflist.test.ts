import { describe, expect, it } from 'vitest';
import { bridgeConflist, parseCidr } from '../../../agent/cni/bridge-conflist.js';
import { networkNotReadyMessage } from '../../../agent/cni/pod-network.js';

describe('bridgeConflist', () => {
  it('is a bridge on the pod CIDR with host-local IPAM, then portmap and loopback', () => {
    expect(
      bridgeConflist({
        networkName: 'skiff-cni0',
        bridge: 'cni0',
        podCIDRs: ['10.244.3.0/24'],
        ipMasq: true,
        ipamDataDir: '/var/lib/skiff/ipam',
      }),
    ).toEqual({
      cniVersion: '1.0.0',
      name: 'skiff-cni0',
      plugins: [
        {
          type: 'bridge',
          bridge: 'cni0',
          isGateway: true,
          ipMasq: true,
          hairpinMode: true,
          ipam: {
            type: 'host-local',
            ranges: [[{ subnet: '10.244.3.0/24' }]],
            routes: [{ dst: '0.0.0.0/0' }],
            dataDir: '/var/lib/skiff/ipam',
          },
        },
        { type: 'portmap', capabilities: { portMappings: true }, snat: true },
        { type: 'loopback' },
      ],
    });
  });

  it('serves both families of a dual-stack node, with a default route each', () => {
    const c = bridgeConflist({
      networkName: 'n',
      bridge: 'br1',
      podCIDRs: ['10.244.3.0/24', 'fd00:10:244:3::/64'],
      ipMasq: false,
    });
    const bridge = (c.plugins as Record<string, unknown>[])[0] as {
      ipMasq: boolean;
      ipam: Record<string, unknown>;
    };
    expect(bridge.ipMasq).toBe(false);
    expect(bridge.ipam.ranges).toEqual([[{ subnet: '10.244.3.0/24' }], [{ subnet: 'fd00:10:244:3::/64' }]]);
    expect(bridge.ipam.routes).toEqual([{ dst: '0.0.0.0/0' }, { dst: '::/0' }]);
    expect(bridge.ipam).not.toHaveProperty('dataDir');
  });

  it('refuses no CIDR, a bad CIDR and a bridge name the kernel would refuse', () => {
    const base = { networkName: 'n', bridge: 'cni0', podCIDRs: ['10.0.0.0/24'], ipMasq: true };
    expect(() => bridgeConflist({ ...base, podCIDRs: [] })).toThrow(/at least one pod CIDR/);
    expect(() => bridgeConflist({ ...base, podCIDRs: ['10.0.0.0/33'] })).toThrow(/invalid CIDR/);
    expect(() => bridgeConflist({ ...base, podCIDRs: ['nonsense'] })).toThrow(/invalid CIDR/);
    expect(() => bridgeConflist({ ...base, bridge: 'a-bridge-name-too-long' })).toThrow(
      /invalid bridge name/,
    );
  });

  it('parses CIDRs of both families', () => {
    expect(parseCidr('10.1.0.0/16')).toEqual({ ip: '10.1.0.0', prefix: 16, v6: false });
    expect(parseCidr('fd00::/64')).toEqual({ ip: 'fd00::', prefix: 64, v6: true });
  });
});

describe('network readiness message', () => {
  it('reads as upstream kubelet writes it into the Ready condition', () => {
    expect(networkNotReadyMessage('NetworkPluginNotReady', 'cni plugin not initialized')).toBe(
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:cni plugin not initialized',
    );
  });
});
