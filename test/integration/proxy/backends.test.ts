import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBackend, type ProxyBackend, type ProxyMode } from '../../../proxy/backend.js';
import { staleUdpFlows } from '../../../proxy/conntrack.js';
import { enableRouteLocalnet } from '../../../proxy/route-localnet.js';
import { buildProxyState, type ProxyState } from '../../../proxy/service-port-map.js';
import { service, slice } from '../../unit/proxy/fixtures.js';
import { inNs, NetnsLab, requirePrerequisites } from './netns-lab.js';

const NODE_NAME = 'lab-node';
const CLUSTER_IP = '10.96.0.10';

function stateOf(services: Service[], slices: EndpointSlice[]): ProxyState {
  const by = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const k = `${s.metadata?.namespace}/${s.metadata?.labels?.['kubernetes.io/service-name']}`;
    by.set(k, [...(by.get(k) ?? []), s]);
  }
  return buildProxyState(services, by).state;
}

const web = (extra: Partial<NonNullable<Service['spec']>> = {}) =>
  service('web', {
    type: 'NodePort',
    clusterIP: CLUSTER_IP,
    ports: [{ name: 'http', port: 80, nodePort: 30080 }],
    ...extra,
  });

function webSlice(lab: NetnsLab, podIndexes: number[], nodeOf: (i: number) => string = () => NODE_NAME) {
  return slice(
    'web',
    'web-1',
    [{ name: 'http', port: 80 }],
    podIndexes.map((i) => ({ ip: lab.pods[i].ip, node: nodeOf(i) })),
  );
}

const empty = service('empty', {
  type: 'NodePort',
  clusterIP: '10.96.0.20',
  ports: [{ port: 80, nodePort: 30081 }],
});

for (const mode of ['nftables', 'iptables'] as const satisfies readonly ProxyMode[]) {
  describe(`${mode} rules in network namespaces`, () => {
    const lab = new NetnsLab();
    let backend: ProxyBackend;
    const node = () => ({
      nodeName: NODE_NAME,
      // Loopback listed: NodePorts on localhost in iptables mode; nftables mode leaves it out.
      nodeIPs: [lab.nodeIP, '127.0.0.1'],
      clusterCidr: '10.244.0.0/16',
      netns: lab.node,
    });

    beforeAll(async () => {
      requirePrerequisites();
      await lab.setup(3);
      backend = createBackend(mode, node());
    });

    afterAll(async () => {
      await backend?.cleanup().catch(() => {});
      await lab.teardown();
    });

    it('reaches every backend through the ClusterIP, masqueraded from outside the cluster', async () => {
      await backend.apply(stateOf([web(), empty], [webSlice(lab, [0, 1, 2])]));
      const seen = new Set(await lab.fetchMany(`http://${CLUSTER_IP}/`, 30));
      expect([...seen].sort()).toEqual(['pod-0', 'pod-1', 'pod-2']);
      expect(await lab.sourceSeenBy(lab.client, `http://${CLUSTER_IP}/cgi-bin/ip`)).toBe(lab.bridgeIP);
    });

    it('serves the NodePort on the node address', async () => {
      const seen = new Set(await lab.fetchMany(`http://${lab.nodeIP}:30080/`, 30));
      expect([...seen].sort()).toEqual(['pod-0', 'pod-1', 'pod-2']);
    });

    it(`${mode === 'iptables' ? 'serves' : 'does not serve'} the NodePort on localhost in the node`, async () => {
      const url = 'http://127.0.0.1:30080/';
      if (mode === 'nftables') {
        const r = await lab.curl(lab.node, url, 2);
        expect(r.code).toBe(7); // nothing listens on 127.0.0.1:30080 and no rule DNATs it
        expect(await inNs(lab.node, 'sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'])).toBe('0\n');
        return;
      }
      await enableRouteLocalnet(lab.node); // what the proxy does at start in iptables mode
      const seen = new Set<string>();
      for (let i = 0; i < 30; i++) seen.add((await lab.curl(lab.node, url)).body);
      expect([...seen].sort()).toEqual(['pod-0', 'pod-1', 'pod-2']);
      // The 127.0.0.1 source is masqueraded, or the backend's reply could not come back.
      expect(await lab.sourceSeenBy(lab.node, 'http://127.0.0.1:30080/cgi-bin/ip')).toBe(lab.bridgeIP);
    });

    it('refuses connections at once to a service without endpoints', async () => {
      for (const url of ['http://10.96.0.20/', `http://${lab.nodeIP}:30081/`]) {
        const r = await lab.curl(lab.client, url, 5);
        expect(r.code).toBe(7); // curl: failed to connect (refused), not 28 (timeout)
        expect(r.ms).toBeLessThan(2000);
      }
    });

    it('sends no more traffic to a removed endpoint', async () => {
      await backend.apply(stateOf([web(), empty], [webSlice(lab, [0, 1])]), new Set(['default/web']));
      const seen = new Set(await lab.fetchMany(`http://${CLUSTER_IP}/`, 20));
      expect([...seen].sort()).toEqual(['pod-0', 'pod-1']);
    });

    it('keeps a client on one backend with sessionAffinity ClientIP', async () => {
      const sticky = web({
        sessionAffinity: 'ClientIP',
        sessionAffinityConfig: { clientIP: { timeoutSeconds: 60 } },
      });
      await backend.apply(stateOf([sticky, empty], [webSlice(lab, [0, 1, 2])]), new Set(['default/web']));
      const seen = new Set(await lab.fetchMany(`http://${CLUSTER_IP}/`, 12));
      expect(seen.size).toBe(1);
    });

    it('externalTrafficPolicy Local uses only local endpoints and keeps the client address', async () => {
      const local = web({ externalTrafficPolicy: 'Local' });
      await backend.apply(
        stateOf([local, empty], [webSlice(lab, [0, 1, 2], (i) => (i === 1 ? NODE_NAME : 'other-node'))]),
        new Set(['default/web']),
      );
      const seen = new Set(await lab.fetchMany(`http://${lab.nodeIP}:30080/`, 12));
      expect([...seen]).toEqual(['pod-1']);
      expect(await lab.sourceSeenBy(lab.client, `http://${lab.nodeIP}:30080/cgi-bin/ip`)).toBe(lab.clientIP);
      // The ClusterIP still balances over every endpoint.
      const all = new Set(await lab.fetchMany(`http://${CLUSTER_IP}/`, 30));
      expect(all.size).toBe(3);
    });

    it('lets a pod reach itself through its service (hairpin)', async () => {
      await backend.apply(stateOf([web(), empty], [webSlice(lab, [0])]), new Set(['default/web']));
      expect(await lab.sourceSeenBy(lab.pods[0].ns, `http://${CLUSTER_IP}/cgi-bin/ip`)).toBe(lab.bridgeIP); // masqueraded, or the reply would bypass conntrack
    });

    it('partial updates leave the same rules as a whole rewrite', async () => {
      const final = stateOf([web(), empty], [webSlice(lab, [0])]);
      const whole = createBackend(mode, { ...node(), netns: lab.client });
      await whole.apply(final);
      try {
        expect(await rulesOf(mode, lab.node)).toEqual(await rulesOf(mode, lab.client));
      } finally {
        await whole.cleanup();
      }
    });

    it('clears conntrack entries of a removed UDP backend', async () => {
      const dns = service('dns', {
        clusterIP: '10.96.0.53',
        ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
      });
      const dnsSlice = (pods: number[]) =>
        slice(
          'dns',
          'dns-1',
          [{ name: 'dns', port: 53, protocol: 'UDP' }],
          pods.map((i) => ({ ip: lab.pods[i].ip })),
        );
      const before = stateOf([web(), empty, dns], [webSlice(lab, [0]), dnsSlice([0, 1])]);
      await backend.apply(before, new Set(['default/dns']));
      for (let i = 0; i < 12; i++) await inNs(lab.client, 'bash', ['-c', 'echo x > /dev/udp/10.96.0.53/53']);
      const flows = () =>
        inNs(lab.node, 'conntrack', ['-L', '-p', 'udp', '--orig-dst', '10.96.0.53']).catch(() => '');
      expect(await flows()).toContain(`src=${lab.pods[0].ip} `);
      const after = stateOf([web(), empty, dns], [webSlice(lab, [0]), dnsSlice([1])]);
      await backend.apply(after, new Set(['default/dns']));
      await backend.clearConntrack(staleUdpFlows(before, after, NODE_NAME));
      const left = await flows();
      expect(left).not.toContain(`src=${lab.pods[0].ip} `);
      expect(left).toContain(`src=${lab.pods[1].ip} `);
    });

    it('keeps the previous rules when an apply fails', async () => {
      await backend.apply(stateOf([web(), empty], [webSlice(lab, [2])]));
      const broken = createBackend(mode, { ...node(), clusterCidr: 'not-a-cidr' });
      await expect(broken.apply(stateOf([web()], [webSlice(lab, [0])]))).rejects.toThrow(/exited with/);
      expect(new Set(await lab.fetchMany(`http://${CLUSTER_IP}/`, 5))).toEqual(new Set(['pod-2']));
    });

    it('a fresh process takes over the rules and removes what is no longer wanted', async () => {
      const fresh = createBackend(mode, node());
      await fresh.apply(stateOf([empty], []));
      const rules = await dump(mode, lab.node);
      expect(rules).not.toMatch(/web/i);
      expect(rules).not.toContain(lab.pods[2].ip);
      const r = await lab.curl(lab.client, `http://${CLUSTER_IP}/`, 1);
      expect(r.body).toBe('');
    });

    it('cleanup removes every skiff rule and nothing else', async () => {
      await inNs(lab.node, 'nft', ['add', 'table', 'ip', 'foreign']);
      await inNs(lab.node, 'iptables', ['-t', 'nat', '-N', 'FOREIGN']);
      await inNs(lab.node, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-j', 'FOREIGN']);
      await backend.apply(stateOf([web(), empty], [webSlice(lab, [0, 1, 2])]));
      expect(await dump(mode, lab.node)).toMatch(/skiff/i);
      await backend.cleanup();
      const after = await dump(mode, lab.node);
      expect(after).not.toMatch(/skiff/i);
      expect(after).toMatch(/FOREIGN|foreign/);
      expect(await inNs(lab.node, 'nft', ['list', 'tables'])).toContain('table ip foreign');
      expect(await inNs(lab.node, 'iptables-save', ['-t', 'nat'])).toContain('-A PREROUTING -j FOREIGN');
      expect((await lab.curl(lab.client, `http://${CLUSTER_IP}/`, 1)).body).toBe('');
    });
  });
}

/** skiff's rules in the namespace as sorted lines, without counters or dynamic set contents. */
async function rulesOf(mode: ProxyMode, ns: string): Promise<string[]> {
  const text =
    mode === 'nftables'
      ? await inNs(ns, 'nft', ['list', 'table', 'ip', 'skiff-proxy'])
      : (await inNs(ns, 'iptables-save', []))
          .split('\n')
          .filter((l) => l.includes('SKIFF'))
          .join('\n');
  return text
    .split('\n')
    .map((l) => l.trim().replace(/ expires \S+/g, ''))
    .filter((l) => l && !l.startsWith('#'))
    .sort();
}

/** Everything the kernel holds in the namespace, in the mode's own notation. */
async function dump(mode: ProxyMode, ns: string): Promise<string> {
  return mode === 'nftables' ? inNs(ns, 'nft', ['list', 'ruleset']) : inNs(ns, 'iptables-save', []);
}
