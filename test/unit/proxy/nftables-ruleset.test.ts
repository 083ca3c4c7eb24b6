import { describe, expect, it } from 'vitest';
import {
  parseNftTableListing,
  renderNftables,
  renderNftablesCleanup,
  renderNftablesPartial,
} from '../../../proxy/nftables-ruleset.js';
import type { ServicePortInfo } from '../../../proxy/service-port-map.js';
import { NODE, sampleState } from './state.js';

describe('renderNftables', () => {
  it('renders the sample services (golden)', async () => {
    await expect(renderNftables(sampleState(), NODE).text).toMatchFileSnapshot('golden/sample.nft');
  });

  it('is deterministic whatever the input order', () => {
    const a = sampleState();
    const b = { services: [...a.services].reverse() };
    b.services.sort((x, y) => (x.key < y.key ? -1 : 1));
    expect(renderNftables(b, NODE).text).toBe(renderNftables(a, NODE).text);
  });

  it('deletes chains and sets that are no longer wanted, and keeps affinity sets', () => {
    const sticky = sampleState();
    const gone = renderNftables(
      { services: sticky.services.filter((s) => s.name !== 'lb') },
      {
        ...NODE,
        existing: renderNftables(sticky, NODE),
      },
    ).text;
    expect(gone.split('\n').filter((l) => l.startsWith('delete set'))).toEqual([
      'delete set ip skiff-proxy affinity-6WGWEXDD-default/lb/tcp/https__10.244.1.7/8443',
      'delete set ip skiff-proxy affinity-DRVYRBCT-default/lb/tcp/https__10.244.2.7/8443',
    ]);
    const first = renderNftables(sampleState(), NODE);
    const state = sampleState();
    state.services = state.services.filter((s) => s.name !== 'web');
    const text = renderNftables(state, { ...NODE, existing: first }).text;
    const deleted = text.split('\n').filter((l) => l.startsWith('delete '));
    expect(deleted).toEqual([
      'delete chain ip skiff-proxy external-PK5WNJDG-default/web/tcp/http',
      'delete chain ip skiff-proxy service-PK5WNJDG-default/web/tcp/http',
    ]);
    expect(text).not.toMatch(/flush set ip skiff-proxy affinity-/);
  });

  it('picks endpoints uniformly over all usable endpoints and rejects services without any', () => {
    const state = sampleState();
    const web = state.services.find((s) => s.name === 'web');
    if (!web) throw new Error('no web');
    web.endpoints = [1, 2, 3].map((i) => ({
      ip: `10.244.3.${i}`,
      port: 80,
      ready: true,
      serving: true,
      terminating: false,
    }));
    expect(renderNftables({ services: [web] }, NODE).text).toContain(
      [
        'numgen random mod 3 == 0 meta l4proto tcp dnat to 10.244.3.1:80',
        'numgen random mod 2 == 0 meta l4proto tcp dnat to 10.244.3.2:80',
        'meta l4proto tcp dnat to 10.244.3.3:80',
      ].join('\n\t\t'),
    );
    const text = renderNftables(sampleState(), NODE).text;
    expect(text).not.toContain('10.244.1.9'); // not ready
    expect(text).toMatch(/no-endpoint-services \{ 10\.96\.0\.20 \. tcp \. 8080 : goto reject-chain/);
  });

  it('matches NodePorts on every local address when no node IP is given', () => {
    const text = renderNftables(sampleState(), { ...NODE, nodeIPs: [] }).text;
    expect(text).toContain(
      'ip daddr != 127.0.0.0/8 fib daddr type local meta l4proto . th dport vmap @service-nodeports',
    );
    expect(text).not.toContain('add element ip skiff-proxy nodeport-ips');
  });

  it('never serves NodePorts on localhost, as upstream nftables mode', () => {
    const text = renderNftables(sampleState(), { ...NODE, nodeIPs: ['127.0.0.1', '192.168.1.10'] }).text;
    expect(text).toContain('add element ip skiff-proxy nodeport-ips { 192.168.1.10 }');
    expect(text).not.toContain('127.0.0.1');
  });

  it('renders an empty state', async () => {
    await expect(renderNftables({ services: [] }, NODE).text).toMatchFileSnapshot('golden/empty.nft');
  });
});

describe('nftables helpers', () => {
  it('cleanup deletes only skiff’s table and works when it is absent', () => {
    expect(renderNftablesCleanup()).toBe('add table ip skiff-proxy\ndelete table ip skiff-proxy\n');
  });

  it('parses chain and set names from a listing', () => {
    const listing = `table ip skiff-proxy {
\tset cluster-ips {
\t\ttype ipv4_addr
\t}
\tmap service-ips {
\t\ttype ipv4_addr . inet_proto . inet_service : verdict
\t}
\tchain services {
\t\tip daddr . meta l4proto . th dport vmap @service-ips
\t}
\tchain endpoint-X-ns/a/tcp/-__10.0.0.1/80 {
\t}
}`;
    expect(parseNftTableListing(listing)).toEqual({
      chains: ['services', 'endpoint-X-ns/a/tcp/-__10.0.0.1/80'],
      sets: ['cluster-ips', 'service-ips'],
    });
  });
});

describe('renderNftablesPartial', () => {
  const ep = (ip: string) => ({ ip, port: 80, ready: true, serving: true, terminating: false });
  const svc = (name: string, clusterIP: string, ips: string[]): ServicePortInfo => ({
    key: `default/${name}:/TCP`,
    namespace: 'default',
    name,
    portName: '',
    protocol: 'TCP',
    clusterIPs: [clusterIP],
    port: 80,
    externalIPs: [],
    loadBalancerIPs: [],
    externalPolicyLocal: false,
    internalPolicyLocal: false,
    endpoints: ips.map(ep),
  });

  it('rewrites only the changed service and keeps elements other services share', () => {
    const a = svc('a', '10.96.0.1', ['10.244.0.1', '10.244.0.2']);
    const b = svc('b', '10.96.0.2', ['10.244.0.2']);
    const full = renderNftables({ services: [a, b] }, NODE);
    const { text } = renderNftablesPartial(
      { services: [svc('a', '10.96.0.1', ['10.244.0.3']), b] },
      NODE,
      full.snapshot,
      new Set(['default/a']),
    );
    expect(text).not.toContain('default/b');
    expect(text).not.toMatch(/^flush table/m);
    expect(text).toContain('delete element ip skiff-proxy hairpin-endpoints { 10.244.0.1 . 10.244.0.1 }');
    expect(text).not.toMatch(/delete element .* 10\.244\.0\.2 \. 10\.244\.0\.2/);
    expect(text).toContain('add element ip skiff-proxy hairpin-endpoints { 10.244.0.3 . 10.244.0.3 }');
    expect(text).toMatch(/flush chain ip skiff-proxy service-\S+-default\/a\/tcp\/-/);
    expect(text).toContain('meta l4proto tcp dnat to 10.244.0.3:80');
  });

  it('removes every trace of a deleted service', () => {
    const a = svc('a', '10.96.0.1', ['10.244.0.1']);
    const full = renderNftables({ services: [a] }, NODE);
    const { text, snapshot } = renderNftablesPartial(
      { services: [] },
      NODE,
      full.snapshot,
      new Set(['default/a']),
    );
    expect(text).toContain('delete element ip skiff-proxy service-ips { 10.96.0.1 . tcp . 80 }');
    expect(text).toContain('delete element ip skiff-proxy cluster-ips { 10.96.0.1 }');
    expect(text).toMatch(/delete chain ip skiff-proxy service-\S+-default\/a\/tcp\/-/);
    expect(snapshot.fragments.size).toBe(0);
  });
});
