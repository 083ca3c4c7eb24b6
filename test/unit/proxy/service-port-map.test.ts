import { describe, expect, it } from 'vitest';
import { buildProxyState, type ProxyEndpoint, usableEndpoints } from '../../../proxy/service-port-map.js';
import { sampleObjects, service, slice } from './fixtures.js';

function bySvc(slices: ReturnType<typeof slice>[]) {
  const m = new Map<string, ReturnType<typeof slice>[]>();
  for (const s of slices) {
    const k = `${s.metadata?.namespace}/${s.metadata?.labels?.['kubernetes.io/service-name']}`;
    m.set(k, [...(m.get(k) ?? []), s]);
  }
  return m;
}

describe('buildProxyState', () => {
  it('resolves endpoints by port name and protocol across slices', () => {
    const svc = service('dns', {
      clusterIP: '10.96.0.53',
      ports: [
        { name: 'dns', port: 53, protocol: 'UDP' },
        { name: 'metrics', port: 9153 },
      ],
    });
    const s1 = slice(
      'dns',
      'a',
      [
        { name: 'dns', port: 5353, protocol: 'UDP' },
        { name: 'metrics', port: 9153 },
      ],
      [{ ip: '10.244.0.9' }, { ip: '10.244.0.3' }],
    );
    const s2 = slice('dns', 'b', [{ name: 'dns', port: 5353, protocol: 'TCP' }], [{ ip: '10.244.0.4' }]);
    const { state } = buildProxyState([svc], bySvc([s1, s2]));
    expect(state.services.map((s) => s.key)).toEqual(['default/dns:dns/UDP', 'default/dns:metrics/TCP']);
    expect(state.services[0].endpoints.map((e) => `${e.ip}:${e.port}`)).toEqual([
      '10.244.0.3:5353',
      '10.244.0.9:5353',
    ]);
    expect(state.services[1].endpoints.map((e) => e.port)).toEqual([9153, 9153]);
  });

  it('leaves out headless, ExternalName, IPv6-only and foreign-proxy services', () => {
    const { state, skipped } = buildProxyState(
      [
        service('headless', { clusterIP: 'None', ports: [{ port: 80 }] }),
        service('ext', { type: 'ExternalName', externalName: 'example.org' }),
        service('v6', { clusterIP: 'fd00::1', ports: [{ port: 80 }] }),
        service(
          'other',
          { clusterIP: '10.96.0.7', ports: [{ port: 80 }] },
          {
            labels: { 'service.kubernetes.io/service-proxy-name': 'foo' },
          },
        ),
      ],
      new Map(),
    );
    expect(state.services).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('skips invalid and conflicting services without affecting others', () => {
    const { state, skipped } = buildProxyState(
      [
        service('a', { type: 'NodePort', clusterIP: '10.96.0.1', ports: [{ port: 80, nodePort: 30001 }] }),
        service('b', { type: 'NodePort', clusterIP: '10.96.0.2', ports: [{ port: 80, nodePort: 30001 }] }),
        service('c', { clusterIP: '10.96.0.3', ports: [{ port: 70000 }] }),
        service('d', { clusterIP: 'not-an-ip', ports: [{ port: 80 }] }),
        service('e', { clusterIP: '10.96.0.5', ports: [{ port: 80, protocol: 'ICMP' }] }),
        service('f', { clusterIP: '10.96.0.6', ports: [{ port: 80 }] }),
      ],
      new Map(),
    );
    expect(state.services.map((s) => s.name)).toEqual(['a', 'f']);
    expect(skipped.map((s) => s.key)).toEqual(['default/b', 'default/c', 'default/d', 'default/e']);
    expect(skipped[0].reason).toContain('TCP/30001 already used by default/a');
  });

  it('skips EndpointSlices with invalid or conflicting fields and keeps the good ones of the service', () => {
    const web = service('web', { clusterIP: '10.96.0.1', ports: [{ name: 'http', port: 80 }] });
    const good = slice('web', 'web-good', [{ name: 'http', port: 8080 }], [{ ip: '10.244.0.1' }]);
    const bad = [
      slice('web', 'bad-address', [{ name: 'http', port: 8080 }], [{ ip: '10.244.0.999' }]),
      slice('web', 'bad-port', [{ name: 'http', port: 0 }], [{ ip: '10.244.0.3' }]),
      slice('web', 'bad-protocol', [{ name: 'http', port: 8080, protocol: 'ICMP' }], [{ ip: '10.244.0.4' }]),
      slice(
        'web',
        'duplicate-port',
        [
          { name: 'http', port: 8080 },
          { name: 'http', port: 8081 },
        ],
        [{ ip: '10.244.0.5' }],
      ),
    ];
    const other = service('other', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] });
    const { state, skipped } = buildProxyState(
      [web, other],
      bySvc([good, ...bad, slice('other', 'other-1', [{ port: 80 }], [{ ip: '10.244.0.6' }])]),
    );
    expect(state.services.map((s) => [s.name, s.endpoints.map((e) => e.ip)])).toEqual([
      ['other', ['10.244.0.6']],
      ['web', ['10.244.0.1']],
    ]);
    expect(skipped).toEqual([
      { kind: 'EndpointSlice', key: 'default/bad-address', reason: 'invalid IPv4 address 10.244.0.999' },
      { kind: 'EndpointSlice', key: 'default/bad-port', reason: 'invalid port 0' },
      { kind: 'EndpointSlice', key: 'default/bad-protocol', reason: 'unsupported protocol ICMP' },
      { kind: 'EndpointSlice', key: 'default/duplicate-port', reason: 'duplicate port http/TCP' },
    ]);
  });

  it('leaves IPv6 and FQDN slices out without reporting them', () => {
    const web = service('web', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    const v6 = { ...slice('web', 'v6', [{ port: 80 }], [{ ip: 'fd00::1' }]), addressType: 'IPv6' };
    const { state, skipped } = buildProxyState([web], bySvc([v6]));
    expect(state.services[0].endpoints).toEqual([]);
    expect(skipped).toEqual([]);
  });

  it('reads affinity, policies, external and load-balancer addresses', () => {
    const { services, slices } = sampleObjects();
    const { state } = buildProxyState(services, bySvc(slices));
    const lb = state.services.find((s) => s.name === 'lb');
    expect(lb).toMatchObject({
      affinityTimeoutSeconds: 600,
      externalPolicyLocal: true,
      internalPolicyLocal: false,
      nodePort: 30443,
      externalIPs: ['192.0.2.10'],
      loadBalancerIPs: ['198.51.100.7'],
      healthCheckNodePort: 32000,
    });
    expect(state.services.find((s) => s.name === 'web')?.nodePort).toBe(30080);
  });

  it('ignores nodePort on ClusterIP services', () => {
    const { state } = buildProxyState(
      [service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80, nodePort: 30001 }] })],
      new Map(),
    );
    expect(state.services[0].nodePort).toBeUndefined();
  });
});

describe('usableEndpoints', () => {
  const ep = (ip: string, c: Partial<ProxyEndpoint>): ProxyEndpoint => ({
    ip,
    port: 80,
    ready: false,
    serving: false,
    terminating: false,
    ...c,
  });

  it('prefers ready endpoints', () => {
    const eps = [
      ep('1.1.1.1', { ready: true, serving: true }),
      ep('1.1.1.2', { serving: true, terminating: true }),
    ];
    expect(usableEndpoints(eps).map((e) => e.ip)).toEqual(['1.1.1.1']);
  });

  it('falls back to serving terminating endpoints when none is ready', () => {
    const eps = [
      ep('1.1.1.1', {}),
      ep('1.1.1.2', { serving: true, terminating: true }),
      ep('1.1.1.3', { terminating: true }),
    ];
    expect(usableEndpoints(eps).map((e) => e.ip)).toEqual(['1.1.1.2']);
  });
});

describe('buildProxyState with a cache', () => {
  it('reuses results for unchanged objects and recomputes changed ones', () => {
    const a = service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    const b = service('b', { clusterIP: '10.96.0.2', ports: [{ port: 80 }] });
    const sa = slice('a', 'a-1', [{ port: 8080 }], [{ ip: '10.244.0.1' }]);
    const cache = new Map();
    const first = buildProxyState([a, b], new Map([['default/a', [sa]]]), cache).state;
    const again = buildProxyState([a, b], new Map([['default/a', [sa]]]), cache).state;
    expect(again.services[0]).toBe(first.services[0]);
    const sa2 = slice('a', 'a-1', [{ port: 8080 }], [{ ip: '10.244.0.2' }]);
    const changed = buildProxyState([a, b], new Map([['default/a', [sa2]]]), cache).state;
    expect(changed.services[0].endpoints[0].ip).toBe('10.244.0.2');
    expect(changed.services[1]).toBe(first.services[1]);
    buildProxyState([a], new Map(), cache);
    expect([...cache.keys()]).toEqual(['default/a']);
  });
});
