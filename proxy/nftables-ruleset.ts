import { endpointId, shortHash } from './chain-names.js';
import { planService } from './service-plan.js';
import type { ProxyEndpoint, ProxyState, ServicePortInfo } from './service-port-map.js';

export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'skiff-proxy';
/** Packet mark bit meaning "masquerade in postrouting". */
export const MASQ_MARK = 0x4000;

export interface NftRenderOptions {
  nodeName: string;
  /** NodePort destinations; when empty, every local address of the node. */
  nodeIPs: string[];
  /** Pod CIDR of the cluster: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCidr: string;
  /** Chains and sets present in the table before this transaction; those not rendered are deleted. */
  existing?: { chains: readonly string[]; sets: readonly string[] };
}

export interface NftRenderResult {
  text: string;
  chains: string[];
  sets: string[];
}

const BASE_CHAINS: Record<string, string> = {
  'nat-prerouting': 'type nat hook prerouting priority dstnat; policy accept;',
  'nat-output': 'type nat hook output priority -100; policy accept;',
  'nat-postrouting': 'type nat hook postrouting priority srcnat; policy accept;',
  'filter-input': 'type filter hook input priority filter - 10; policy accept;',
  'filter-forward': 'type filter hook forward priority filter - 10; policy accept;',
  'filter-output': 'type filter hook output priority filter - 10; policy accept;',
};
const FIXED_CHAINS = ['services', 'mark-for-masquerade', 'masquerading', 'reject-chain'];

/** Static sets and maps, refilled every sync (affinity sets, by contrast, keep their elements). */
const STATIC_SETS: Record<string, string> = {
  'cluster-ips': 'type ipv4_addr;',
  'nodeport-ips': 'type ipv4_addr;',
  'service-ips': 'type ipv4_addr . inet_proto . inet_service : verdict;',
  'service-nodeports': 'type inet_proto . inet_service : verdict;',
  'no-endpoint-services': 'type ipv4_addr . inet_proto . inet_service : verdict;',
  'no-endpoint-nodeports': 'type inet_proto . inet_service : verdict;',
  'hairpin-endpoints': 'type ipv4_addr . ipv4_addr;',
};

function suffix(svc: ServicePortInfo): string {
  return `${svc.namespace}/${svc.name}/${svc.protocol.toLowerCase()}/${svc.portName || '-'}`;
}

export function serviceChainName(svc: ServicePortInfo): string {
  return `service-${shortHash(svc.key, 8)}-${suffix(svc)}`;
}

export function localChainName(svc: ServicePortInfo): string {
  return `local-${shortHash(svc.key, 8)}-${suffix(svc)}`;
}

export function externalChainName(svc: ServicePortInfo): string {
  return `external-${shortHash(svc.key, 8)}-${suffix(svc)}`;
}

export function endpointChainName(svc: ServicePortInfo, ep: ProxyEndpoint): string {
  return `endpoint-${shortHash(endpointId(svc, ep), 8)}-${suffix(svc)}__${ep.ip}/${ep.port}`;
}

/** The timeout is part of the name: a set's timeout cannot change in place. */
export function affinitySetName(svc: ServicePortInfo, ep: ProxyEndpoint): string {
  const id = `${endpointId(svc, ep)}:${svc.affinityTimeoutSeconds}`;
  return `affinity-${shortHash(id, 8)}-${suffix(svc)}__${ep.ip}/${ep.port}`;
}

const proto = (svc: ServicePortInfo): string => svc.protocol.toLowerCase();

/**
 * Renders the whole ruleset as one `nft -f` transaction on skiff's own table: the table is
 * created if missing and flushed, chains and sets that are no longer wanted are deleted, and
 * everything else is written again, all atomically. Pure: same state, same text.
 */
export function renderNftables(state: ProxyState, opts: NftRenderOptions): NftRenderResult {
  const chains = new Map<string, string[]>();
  const affinitySets = new Map<string, number>();
  const elements: Record<string, string[]> = Object.fromEntries(Object.keys(STATIC_SETS).map((k) => [k, []]));
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const masq = `0x${MASQ_MARK.toString(16)}`;

  for (const name of [...Object.keys(BASE_CHAINS), ...FIXED_CHAINS]) chains.set(name, []);
  const rules = (name: string): string[] => chains.get(name) as string[];
  rules('nat-prerouting').push('jump services');
  rules('nat-output').push('jump services');
  rules('nat-postrouting').push('jump masquerading');
  const noEndpoints = 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services';
  rules('filter-input').push(`ct state new ${noEndpoints}`);
  rules('filter-input').push(
    `ct state new ${nodePortMatch(opts)} meta l4proto . th dport vmap @no-endpoint-nodeports`,
  );
  rules('filter-forward').push(`ct state new ${noEndpoints}`);
  rules('filter-output').push(`ct state new ${noEndpoints}`);
  rules('mark-for-masquerade').push(`meta mark set meta mark | ${masq}`);
  // Hairpin: a pod that reached itself through a service must see the reply come from the node.
  rules('masquerading').push('ct status dnat ip saddr . ip daddr @hairpin-endpoints masquerade fully-random');
  rules('masquerading').push(`meta mark & ${masq} == 0 return`);
  rules('masquerading').push(`meta mark set meta mark ^ ${masq}`);
  rules('masquerading').push('masquerade fully-random');
  rules('reject-chain').push('reject');
  if (opts.clusterCidr)
    rules('services').push(`ip daddr @cluster-ips ip saddr != ${opts.clusterCidr} jump mark-for-masquerade`);
  rules('services').push('ip daddr . meta l4proto . th dport vmap @service-ips');
  rules('services').push(`${nodePortMatch(opts)} meta l4proto . th dport vmap @service-nodeports`);
  elements['nodeport-ips'].push(...opts.nodeIPs);

  for (const svc of state.services) {
    const plan = planService(svc, opts.nodeName);
    const p = proto(svc);
    const svcChain = serviceChainName(svc);
    const localChain = localChainName(svc);
    const extChain = externalChainName(svc);
    const target = (route: string, chain: string): string =>
      route === 'reject' ? 'goto reject-chain' : route === 'drop' ? 'drop' : `goto ${chain}`;

    for (const ip of svc.clusterIPs) {
      elements['cluster-ips'].push(ip);
      const el = `${ip} . ${p} . ${svc.port}`;
      const route = plan.internal;
      if (route === 'reject') elements['no-endpoint-services'].push(`${el} : goto reject-chain`);
      else elements['service-ips'].push(`${el} : goto ${route === 'local' ? localChain : svcChain}`);
    }
    if (plan.external !== undefined) {
      const route = plan.external;
      const externalDests = [...svc.externalIPs, ...svc.loadBalancerIPs].map(
        (ip) => `${ip} . ${p} . ${svc.port}`,
      );
      const nodePort = svc.nodePort !== undefined ? `${p} . ${svc.nodePort}` : undefined;
      if (route === 'reject' || route === 'drop') {
        for (const el of externalDests) elements['no-endpoint-services'].push(`${el} : ${target(route, '')}`);
        if (nodePort) elements['no-endpoint-nodeports'].push(`${nodePort} : ${target(route, '')}`);
      }
      if (route !== 'reject') {
        for (const el of externalDests) elements['service-ips'].push(`${el} : goto ${extChain}`);
        if (nodePort) elements['service-nodeports'].push(`${nodePort} : goto ${extChain}`);
        const ext: string[] = [];
        if (route === 'cluster') {
          ext.push('jump mark-for-masquerade', `goto ${svcChain}`);
        } else {
          // Local policy: pods and the node itself still use every endpoint; others only local ones,
          // with their source address preserved.
          if (opts.clusterCidr) ext.push(`ip saddr ${opts.clusterCidr} goto ${svcChain}`);
          ext.push('fib saddr type local jump mark-for-masquerade', `fib saddr type local goto ${svcChain}`);
          ext.push(route === 'local' ? `goto ${localChain}` : 'drop');
        }
        chains.set(extChain, ext);
      }
    }
    if (plan.needClusterChain) chains.set(svcChain, balance(svc, plan.cluster, affinitySets));
    if (plan.needLocalChain) chains.set(localChain, balance(svc, plan.local, affinitySets));
    const used = new Set([
      ...(plan.needClusterChain ? plan.cluster : []),
      ...(plan.needLocalChain ? plan.local : []),
    ]);
    for (const ep of svc.endpoints) {
      if (!used.has(ep)) continue;
      elements['hairpin-endpoints'].push(`${ep.ip} . ${ep.ip}`);
      // Only affinity needs a chain per endpoint (to remember the client); otherwise the
      // service chain maps the random pick straight to an address.
      if (svc.affinityTimeoutSeconds === undefined) continue;
      chains.set(endpointChainName(svc, ep), [
        `update @${affinitySetName(svc, ep)} { ip saddr }`,
        `meta l4proto ${p} dnat to ${ep.ip}:${ep.port}`,
      ]);
    }
  }

  const out: string[] = [];
  out.push(`add table ${t}`, `flush table ${t}`);
  // Sets first (idempotent), so that the flushes below always find them.
  out.push(`table ${t} {`);
  for (const [name, spec] of Object.entries(STATIC_SETS)) out.push(`\t${setKind(spec)} ${name} { ${spec} }`);
  for (const [name, timeout] of affinitySets)
    out.push(`\tset ${name} { type ipv4_addr; flags dynamic,timeout; timeout ${timeout}s; }`);
  out.push('}');
  for (const [name, spec] of Object.entries(STATIC_SETS)) out.push(`flush ${setKind(spec)} ${t} ${name}`);
  for (const name of opts.existing?.chains ?? [])
    if (!chains.has(name)) out.push(`delete chain ${t} ${name}`);
  for (const name of opts.existing?.sets ?? [])
    if (!affinitySets.has(name) && !(name in STATIC_SETS)) out.push(`delete set ${t} ${name}`);
  // Chains come after the chains they jump to, so each is defined (with its rules) in one go.
  out.push(`table ${t} {`);
  const ordered = [...chains.entries()].sort(([a], [b]) => chainRank(a) - chainRank(b));
  for (const [name, rs] of ordered) {
    out.push(`\tchain ${name} {`);
    if (BASE_CHAINS[name]) out.push(`\t\t${BASE_CHAINS[name]}`);
    for (const r of rs) out.push(`\t\t${r}`);
    out.push('\t}');
  }
  out.push('}');
  for (const [name, els] of Object.entries(elements)) {
    const unique = [...new Set(els)];
    if (unique.length > 0) out.push(`add element ${t} ${name} { ${unique.join(', ')} }`);
  }
  return {
    text: `${out.join('\n')}\n`,
    chains: [...chains.keys()],
    sets: [...Object.keys(STATIC_SETS), ...affinitySets.keys()],
  };
}

const RANKS: [string, number][] = [
  ['endpoint-', 0],
  ['service-', 1],
  ['local-', 1],
  ['external-', 2],
];

/** Definition order: endpoint, service, external chains, then the fixed ones, then hooks. */
function chainRank(name: string): number {
  if (BASE_CHAINS[name]) return name === 'nat-prerouting' || name === 'nat-output' ? 5 : 4;
  if (name === 'services') return 4;
  for (const [prefix, rank] of RANKS) if (name.startsWith(prefix)) return rank;
  return 3;
}

function setKind(spec: string): 'map' | 'set' {
  return spec.includes(':') ? 'map' : 'set';
}

function nodePortMatch(opts: NftRenderOptions): string {
  return opts.nodeIPs.length > 0 ? 'ip daddr @nodeport-ips' : 'fib daddr type local';
}

/**
 * Rules of a load-balancing chain: a random pick among the endpoints, DNAT straight to the
 * address; with affinity, first the endpoint this client used before, via one chain per endpoint.
 */
function balance(
  svc: ServicePortInfo,
  eps: readonly ProxyEndpoint[],
  affinitySets: Map<string, number>,
): string[] {
  const n = eps.length;
  if (svc.affinityTimeoutSeconds === undefined) {
    // Endpoint i is taken with probability 1/(n-i) among those left: uniform overall. Plain
    // rules rather than an anonymous map per service: the kernel names anonymous sets by
    // scanning the table's sets, which makes thousands of them quadratic.
    return eps.map((ep, i) => {
      const pick = i < n - 1 ? `numgen random mod ${n - i} == 0 ` : '';
      return `${pick}meta l4proto ${proto(svc)} dnat to ${ep.ip}:${ep.port}`;
    });
  }
  const r: string[] = [];
  for (const ep of eps) {
    const set = affinitySetName(svc, ep);
    affinitySets.set(set, svc.affinityTimeoutSeconds);
    r.push(`ip saddr @${set} goto ${endpointChainName(svc, ep)}`);
  }
  const vmap = eps.map((ep, i) => `${i} : goto ${endpointChainName(svc, ep)}`).join(', ');
  r.push(`numgen random mod ${n} vmap { ${vmap} }`);
  return r;
}

/** A transaction that removes everything skiff's nftables mode made. */
export function renderNftablesCleanup(): string {
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  return `add table ${t}\ndelete table ${t}\n`;
}

/** Chain and set names in `nft list table` output, to know what a fresh process must delete. */
export function parseNftTableListing(text: string): { chains: string[]; sets: string[] } {
  const chains: string[] = [];
  const sets: string[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(chain|set|map) "?([^"\s]+)"? \{/.exec(line);
    if (!m) continue;
    if (m[1] === 'chain') chains.push(m[2]);
    else sets.push(m[2]);
  }
  return { chains, sets };
}
