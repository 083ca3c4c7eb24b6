import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { cgroupfsLayout } from '../../../agent/cgroup-layout.js';
import {
  missingClusterDns,
  type PodDnsSettings,
  parseResolvConf,
  podDnsConfig,
  podHostnameAndDomain,
  podHostsFile,
} from '../../../agent/pod-dns.js';
import { buildSandboxConfig, podPortMappings } from '../../../agent/sandbox-config.js';

const HOST = parseResolvConf(
  '# generated\nnameserver 192.0.2.53\nnameserver 192.0.2.54\nsearch old.example\nsearch corp.example. lab.example\noptions edns0 ndots:2\n; comment\n',
);
const SETTINGS: PodDnsSettings = { clusterDNS: ['10.96.0.10'], clusterDomain: 'cluster.local', host: HOST };

function pod(spec: Partial<NonNullable<Pod['spec']>> = {}, name = 'web-0', namespace = 'shop'): Pod {
  return { metadata: { name, namespace }, spec: { containers: [{ name: 'c', image: 'busybox' }], ...spec } };
}

describe('parseResolvConf', () => {
  it('keeps nameservers in order, the last search line and merged options, skipping comments', () => {
    expect(HOST).toEqual({
      servers: ['192.0.2.53', '192.0.2.54'],
      searches: ['corp.example', 'lab.example'],
      options: ['edns0', 'ndots:2'],
    });
  });
});

describe('podDnsConfig', () => {
  it('ClusterFirst: cluster DNS, namespace search list before the host one, ndots:5', () => {
    expect(podDnsConfig(pod(), SETTINGS)).toEqual({
      servers: ['10.96.0.10'],
      searches: [
        'shop.svc.cluster.local',
        'svc.cluster.local',
        'cluster.local',
        'corp.example',
        'lab.example',
      ],
      options: ['ndots:5'],
    });
    expect(podDnsConfig(pod({ dnsPolicy: 'ClusterFirst' }), SETTINGS).servers).toEqual(['10.96.0.10']);
  });

  it('ClusterFirst on the host network is Default; ClusterFirstWithHostNet is the cluster DNS', () => {
    expect(podDnsConfig(pod({ hostNetwork: true }), SETTINGS)).toEqual(HOST);
    expect(
      podDnsConfig(pod({ hostNetwork: true, dnsPolicy: 'ClusterFirstWithHostNet' }), SETTINGS).servers,
    ).toEqual(['10.96.0.10']);
  });

  it('Default is the host resolver config', () => {
    expect(podDnsConfig(pod({ dnsPolicy: 'Default' }), SETTINGS)).toEqual(HOST);
  });

  it('ClusterFirst without --cluster-dns falls back to Default', () => {
    const s = { ...SETTINGS, clusterDNS: [] };
    expect(missingClusterDns(pod(), s)).toBe(true);
    expect(missingClusterDns(pod(), SETTINGS)).toBe(false);
    expect(podDnsConfig(pod(), s)).toEqual(HOST);
  });

  it('without a host resolver config, Default means the local resolver and no search', () => {
    expect(podDnsConfig(pod({ dnsPolicy: 'Default' }), { ...SETTINGS, host: undefined })).toEqual({
      servers: ['127.0.0.1'],
      searches: ['.'],
      options: [],
    });
  });

  it('None starts empty and takes dnsConfig; dnsConfig merges into the others, options by name', () => {
    const dnsConfig = {
      nameservers: ['192.0.2.99', '10.96.0.10'],
      searches: ['a.example', 'svc.cluster.local'],
      options: [{ name: 'ndots', value: '1' }, { name: 'single-request' }],
    };
    expect(podDnsConfig(pod({ dnsPolicy: 'None', dnsConfig }), SETTINGS)).toEqual({
      servers: ['192.0.2.99', '10.96.0.10'],
      searches: ['a.example', 'svc.cluster.local'],
      options: ['ndots:1', 'single-request'],
    });
    expect(podDnsConfig(pod({ dnsConfig }), SETTINGS)).toEqual({
      servers: ['10.96.0.10', '192.0.2.99'],
      searches: [
        'shop.svc.cluster.local',
        'svc.cluster.local',
        'cluster.local',
        'corp.example',
        'lab.example',
        'a.example',
      ],
      options: ['ndots:1', 'single-request'],
    });
  });

  it('keeps at most 3 nameservers and 32 search domains', () => {
    const many = pod({
      dnsPolicy: 'None',
      dnsConfig: {
        nameservers: ['192.0.2.1', '192.0.2.2', '192.0.2.3', '192.0.2.4'],
        searches: Array.from({ length: 40 }, (_, i) => `d${i}.example`),
      },
    });
    const c = podDnsConfig(many, SETTINGS);
    expect(c.servers).toEqual(['192.0.2.1', '192.0.2.2', '192.0.2.3']);
    expect(c.searches).toHaveLength(32);
  });
});

describe('pod host name', () => {
  it('is spec.hostname or the pod name, with a domain from the subdomain', () => {
    expect(podHostnameAndDomain(pod(), 'cluster.local')).toEqual({
      hostname: 'web-0',
      domain: '',
      kernelHostname: 'web-0',
    });
    expect(podHostnameAndDomain(pod({ hostname: 'www', subdomain: 'site' }), 'cluster.local')).toEqual({
      hostname: 'www',
      domain: 'site.shop.svc.cluster.local',
      kernelHostname: 'www',
    });
    expect(
      podHostnameAndDomain(
        pod({ hostname: 'www', subdomain: 'site', setHostnameAsFQDN: true }),
        'cluster.local',
      ).kernelHostname,
    ).toBe('www.site.shop.svc.cluster.local');
  });

  it('cuts a long pod name to 63 characters without a trailing dash or dot', () => {
    const name = `${'a'.repeat(61)}-.bcd`;
    expect(podHostnameAndDomain(pod({}, name), 'cluster.local').hostname).toBe('a'.repeat(61));
    const exact = 'b'.repeat(70);
    expect(podHostnameAndDomain(pod({}, exact), 'cluster.local').hostname).toBe('b'.repeat(63));
  });

  it('is set on pod-network sandboxes only: a host-network sandbox has no UTS namespace of its own', () => {
    const s = { podLogsDir: '/var/log/pods', cgroups: cgroupfsLayout('/skiff'), dns: SETTINGS };
    const own = buildSandboxConfig(pod({ hostname: 'www' }), 'u1', 0, s);
    expect(own.hostname).toBe('www');
    expect(own.linux?.securityContext?.namespaceOptions?.network).toBe('POD');
    expect(own.dnsConfig?.servers).toEqual(['10.96.0.10']);
    const host = buildSandboxConfig(pod({ hostNetwork: true }), 'u1', 0, s);
    expect(host.hostname).toBeUndefined();
    expect(host.linux?.securityContext?.namespaceOptions?.network).toBe('NODE');
    expect(host.dnsConfig).toEqual(HOST);
  });

  it('without DNS settings the sandbox has no DNS config (the runtime copies the node resolv.conf)', () => {
    expect(
      buildSandboxConfig(pod(), 'u1', 0, { podLogsDir: '/l', cgroups: cgroupfsLayout('/c') }).dnsConfig,
    ).toBeUndefined();
  });
});

describe('hostPort mappings', () => {
  it('maps the app containers ports that have a hostPort, once each', () => {
    const p = pod({
      containers: [
        {
          name: 'a',
          ports: [
            { containerPort: 80, hostPort: 8080 },
            { containerPort: 53, hostPort: 5353, protocol: 'UDP', hostIP: '127.0.0.1' },
            { containerPort: 9090 },
          ],
        },
        { name: 'b', ports: [{ containerPort: 80, hostPort: 8080 }] },
      ],
    });
    expect(podPortMappings(p)).toEqual([
      { protocol: 'TCP', containerPort: 80, hostPort: 8080, hostIp: '' },
      { protocol: 'UDP', containerPort: 53, hostPort: 5353, hostIp: '127.0.0.1' },
    ]);
  });
});

describe('podHostsFile', () => {
  it('names the pod IPs with the FQDN first, then the host aliases', () => {
    const p = pod({
      hostname: 'www',
      subdomain: 'site',
      hostAliases: [{ ip: '192.0.2.7', hostnames: ['a', 'b'] }],
    });
    const text = podHostsFile(p, ['10.1.2.3'], 'cluster.local');
    expect(text.split('\n')).toEqual([
      '# Kubernetes-managed hosts file.',
      '127.0.0.1\tlocalhost',
      '::1\tlocalhost ip6-localhost ip6-loopback',
      'fe00::0\tip6-localnet',
      'fe00::0\tip6-mcastprefix',
      'fe00::1\tip6-allnodes',
      'fe00::2\tip6-allrouters',
      '10.1.2.3\twww.site.shop.svc.cluster.local\twww',
      '',
      '# Entries added by HostAliases.',
      '192.0.2.7\ta\tb',
      '',
    ]);
    expect(podHostsFile(pod(), ['10.1.2.4'], 'cluster.local')).toContain('\n10.1.2.4\tweb-0\n');
  });
});
