import { endpointId, shortHash } from './chain-names.js';
import { planService } from './service-plan.js';
import {
  isLoopbackIPv4,
  type ProxyEndpoint,
  type ProxyState,
  type ServicePortInfo,
} from './service-port-map.js';

export const NFT_FAMILY = 'ip';
export const NFT_TABLE = 'skiff-proxy';
/** Packet mark bit meaning "masquerade in postrouting". */
export const MASQ_MARK = 0x4000;

export interface NftRenderOptions {
  nodeName: string;
  /**
   * NodePort destinations; when empty, every local address of the node. Never localhost: as
   * upstream's nftables mode, loopback addresses are left out (localhost NodePorts are an
   * iptables-mode feature).
   */
  nodeIPs: string[];
  /** Pod CIDR of the cluster: traffic from outside it to a ClusterIP is masqueraded. */
  clusterCidr: string;
  /** Chains and sets present in the table before this transaction; those not rendered are deleted. */
  existing?: { chains: readonly string[]; sets: readonly string[] };
}

const BASE_CHAINS: Record<string, string> = {
  'nat-prerouting': 'type nat hook prerouting priority dstnat; policy accept;',
  'nat-output': 'type nat hook output priority -100; policy accept;',
  'nat-postrouting': 'type nat hook postrouting priority srcnat; policy accept;',
  'filter-input': 'type filter hook input priority filter - 10; policy accept;',
  'filter-forward': 'type filter hook forward priority filter - 10; policy accept;',
  'filter-output': 'type filter hook output priority filter - 10; policy accept;',
};

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

/** What one Service (all its ports) contributes to the table: chains, set elements, affinity sets. */
export interface NftFragment {
  chains: Map<string, string[]>;
  /** Set or map name → elements (`key` or `key : value`). */
  elements: Map<string, string[]>;
  affinitySets: Map<string, number>;
}

/** What the table holds after an apply: enough to render the next one as a partial update. */
export interface NftSnapshot {
  /** By service key `namespace/name`. */
  fragments: Map<string, NftFragment>;
  /** Set name → element → how many services contributed it. */
  refs: Map<string, Map<string, number>>;
}

export interface NftRenderResult {
  text: string;
  chains: string[];
  sets: string[];
  snapshot: NftSnapshot;
}

export const serviceKeyOf = (svc: ServicePortInfo): string => `${svc.namespace}/${svc.name}`;

function emptyFragment(): NftFragment {
  return { chains: new Map(), elements: new Map(), affinitySets: new Map() };
}

function push(f: NftFragment, set: string, el: string): void {
  const els = f.elements.get(set);
  if (els) {
    if (!els.includes(el)) els.push(el);
  } else f.elements.set(set, [el]);
}

/** Adds one service port's chains and elements to its service's fragment. */
function addServicePort(f: NftFragment, svc: ServicePortInfo, opts: NftRenderOptions): void {
  const plan = planService(svc, opts.nodeName);
  const p = proto(svc);
  const h = `${shortHash(svc.key, 8)}-${suffix(svc)}`;
  const svcChain = `service-${h}`;
  const localChain = `local-${h}`;
  const extChain = `external-${h}`;
  const verdict = (route: 'reject' | 'drop'): string => (route === 'reject' ? 'goto reject-chain' : 'drop');

  for (const ip of svc.clusterIPs) {
    push(f, 'cluster-ips', ip);
    const el = `${ip} . ${p} . ${svc.port}`;
    if (plan.internal === 'reject' || plan.internal === 'drop')
      push(f, 'no-endpoint-services', `${el} : ${verdict(plan.internal)}`);
    else push(f, 'service-ips', `${el} : goto ${plan.internal === 'local' ? localChain : svcChain}`);
  }
  if (plan.external !== undefined) {
    const route = plan.external;
    const dests = [...svc.externalIPs, ...svc.loadBalancerIPs].map((ip) => `${ip} . ${p} . ${svc.port}`);
    const nodePort = svc.nodePort !== undefined ? `${p} . ${svc.nodePort}` : undefined;
    if (route === 'reject' || route === 'drop') {
      for (const el of dests) push(f, 'no-endpoint-services', `${el} : ${verdict(route)}`);
      if (nodePort) push(f, 'no-endpoint-nodeports', `${nodePort} : ${verdict(route)}`);
    }
    if (route !== 'reject') {
      for (const el of dests) push(f, 'service-ips', `${el} : goto ${extChain}`);
      if (nodePort) push(f, 'service-nodeports', `${nodePort} : goto ${extChain}`);
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
      f.chains.set(extChain, ext);
    }
  }
  if (plan.needClusterChain) f.chains.set(svcChain, balance(svc, plan.cluster, f.affinitySets));
  if (plan.needLocalChain) f.chains.set(localChain, balance(svc, plan.local, f.affinitySets));
  const used = new Set([
    ...(plan.needClusterChain ? plan.cluster : []),
    ...(plan.needLocalChain ? plan.local : []),
  ]);
  for (const ep of svc.endpoints) {
    if (!used.has(ep)) continue;
    push(f, 'hairpin-endpoints', `${ep.ip} . ${ep.ip}`);
    // Only affinity needs a chain per endpoint (to remember the client); otherwise the
    // service chain DNATs straight to the address.
    if (svc.affinityTimeoutSeconds === undefined) continue;
    f.chains.set(endpointChainName(svc, ep), [
      `update @${affinitySetName(svc, ep)} { ip saddr }`,
      `meta l4proto ${p} dnat to ${ep.ip}:${ep.port}`,
    ]);
  }
}

/** Fragments of every service in the state (or only of `only`), by service key. */
function fragmentsOf(
  state: ProxyState,
  opts: NftRenderOptions,
  only?: ReadonlySet<string>,
): Map<string, NftFragment> {
  const out = new Map<string, NftFragment>();
  for (const svc of state.services) {
    const key = serviceKeyOf(svc);
    if (only && !only.has(key)) continue;
    let f = out.get(key);
    if (!f) {
      f = emptyFragment();
      out.set(key, f);
    }
    addServicePort(f, svc, opts);
  }
  return out;
}

/** The chains every ruleset has, whatever the services. */
function baseChains(opts: NftRenderOptions): Map<string, string[]> {
  const masq = `0x${MASQ_MARK.toString(16)}`;
  const noEndpoints = 'ip daddr . meta l4proto . th dport vmap @no-endpoint-services';
  const services: string[] = [];
  if (opts.clusterCidr)
    services.push(`ip daddr @cluster-ips ip saddr != ${opts.clusterCidr} jump mark-for-masquerade`);
  services.push('ip daddr . meta l4proto . th dport vmap @service-ips');
  services.push(`${nodePortMatch(opts)} meta l4proto . th dport vmap @service-nodeports`);
  return new Map([
    ['nat-prerouting', ['jump services']],
    ['nat-output', ['jump services']],
    ['nat-postrouting', ['jump masquerading']],
    [
      'filter-input',
      [
        `ct state new ${noEndpoints}`,
        `ct state new ${nodePortMatch(opts)} meta l4proto . th dport vmap @no-endpoint-nodeports`,
      ],
    ],
    ['filter-forward', [`ct state new ${noEndpoints}`]],
    ['filter-output', [`ct state new ${noEndpoints}`]],
    ['services', services],
    ['mark-for-masquerade', [`meta mark set meta mark | ${masq}`]],
    [
      'masquerading',
      [
        // Hairpin: a pod that reached itself through a service must see the reply come from the node.
        'ct status dnat ip saddr . ip daddr @hairpin-endpoints masquerade fully-random',
        `meta mark & ${masq} == 0 return`,
        `meta mark set meta mark ^ ${masq}`,
        'masquerade fully-random',
      ],
    ],
    ['reject-chain', ['reject']],
  ]);
}

function countRefs(fragments: Iterable<NftFragment>): Map<string, Map<string, number>> {
  const refs = new Map<string, Map<string, number>>();
  for (const f of fragments)
    for (const [set, els] of f.elements) {
      let m = refs.get(set);
      if (!m) {
        m = new Map();
        refs.set(set, m);
      }
      for (const el of els) m.set(el, (m.get(el) ?? 0) + 1);
    }
  return refs;
}

function chainBlock(t: string, chains: Iterable<[string, string[]]>): string[] {
  const out = [`table ${t} {`];
  const ordered = [...chains].sort(([a], [b]) => chainRank(a) - chainRank(b));
  for (const [name, rs] of ordered) {
    out.push(`\tchain ${name} {`);
    if (BASE_CHAINS[name]) out.push(`\t\t${BASE_CHAINS[name]}`);
    for (const r of rs) out.push(`\t\t${r}`);
    out.push('\t}');
  }
  out.push('}');
  return out;
}

const affinitySetDecl = (name: string, timeout: number): string =>
  `\tset ${name} { type ipv4_addr; flags dynamic,timeout; timeout ${timeout}s; }`;

/**
 * Renders the whole ruleset as one `nft -f` transaction on skiff's own table: the table is
 * created if missing and flushed, chains and sets that are no longer wanted are deleted, and
 * everything else is written again, all atomically. Pure: same state, same text.
 */
export function renderNftables(state: ProxyState, opts: NftRenderOptions): NftRenderResult {
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const fragments = fragmentsOf(state, opts);
  const chains = baseChains(opts);
  const affinitySets = new Map<string, number>();
  for (const f of fragments.values()) {
    for (const [name, rs] of f.chains) chains.set(name, rs);
    for (const [name, timeout] of f.affinitySets) affinitySets.set(name, timeout);
  }
  const refs = countRefs(fragments.values());
  if (opts.nodeIPs.length > 0)
    refs.set('nodeport-ips', new Map(opts.nodeIPs.filter((ip) => !isLoopbackIPv4(ip)).map((ip) => [ip, 1])));

  const out: string[] = [];
  out.push(`add table ${t}`, `flush table ${t}`);
  // Sets first (idempotent), so that the flushes below always find them.
  out.push(`table ${t} {`);
  for (const [name, spec] of Object.entries(STATIC_SETS)) out.push(`\t${setKind(spec)} ${name} { ${spec} }`);
  for (const [name, timeout] of affinitySets) out.push(affinitySetDecl(name, timeout));
  out.push('}');
  for (const [name, spec] of Object.entries(STATIC_SETS)) out.push(`flush ${setKind(spec)} ${t} ${name}`);
  for (const name of opts.existing?.chains ?? [])
    if (!chains.has(name)) out.push(`delete chain ${t} ${name}`);
  for (const name of opts.existing?.sets ?? [])
    if (!affinitySets.has(name) && !(name in STATIC_SETS)) out.push(`delete set ${t} ${name}`);
  // Chains come after the chains they jump to, so each is defined (with its rules) in one go.
  out.push(...chainBlock(t, chains));
  for (const name of Object.keys(STATIC_SETS)) {
    const els = refs.get(name);
    if (els && els.size > 0) out.push(`add element ${t} ${name} { ${[...els.keys()].join(', ')} }`);
  }
  refs.delete('nodeport-ips');
  return {
    text: `${out.join('\n')}\n`,
    chains: [...chains.keys()],
    sets: [...Object.keys(STATIC_SETS), ...affinitySets.keys()],
    snapshot: { fragments, refs },
  };
}

/**
 * Renders a transaction that touches only the given services: their old chains are flushed or
 * deleted, their new chains written, and set elements added or deleted by reference count (an
 * element two services share stays until neither has it). Requires the snapshot of the table as
 * the last apply left it, and updates it in place: if the transaction then fails, the snapshot
 * must be dropped and the next apply be whole. Base chains and other services are left alone.
 */
export function renderNftablesPartial(
  state: ProxyState,
  opts: NftRenderOptions,
  previous: NftSnapshot,
  changed: ReadonlySet<string>,
): { text: string; snapshot: NftSnapshot } {
  const t = `${NFT_FAMILY} ${NFT_TABLE}`;
  const updated = fragmentsOf(state, opts, changed);
  // The snapshot is taken over and updated in place: copying 10k services' worth of
  // references would cost more than the rest of a partial sync.
  const { fragments, refs } = previous;
  const refsOf = (set: string): Map<string, number> => {
    let m = refs.get(set);
    if (!m) {
      m = new Map();
      refs.set(set, m);
    }
    return m;
  };
  const removed = new Map<string, string[]>();
  const added = new Map<string, string[]>();
  const oldChains = new Set<string>();
  const newChains = new Map<string, string[]>();
  const oldAffinity = new Set<string>();
  const newAffinity = new Map<string, number>();
  // Net change of each element over all changed services: one kept as it was is not touched.
  const delta = new Map<string, Map<string, number>>();
  const count = (set: string, el: string, d: number): void => {
    let m = delta.get(set);
    if (!m) {
      m = new Map();
      delta.set(set, m);
    }
    m.set(el, (m.get(el) ?? 0) + d);
  };
  for (const key of changed) {
    const before = previous.fragments.get(key);
    const after = updated.get(key);
    if (before) {
      for (const c of before.chains.keys()) oldChains.add(c);
      for (const a of before.affinitySets.keys()) oldAffinity.add(a);
      for (const [set, els] of before.elements) for (const el of els) count(set, el, -1);
    }
    if (after) {
      for (const [c, rs] of after.chains) newChains.set(c, rs);
      for (const [a, timeout] of after.affinitySets) newAffinity.set(a, timeout);
      for (const [set, els] of after.elements) for (const el of els) count(set, el, 1);
      fragments.set(key, after);
    } else {
      fragments.delete(key);
    }
  }
  for (const [set, m] of delta) {
    const r = refsOf(set);
    for (const [el, d] of m) {
      if (d === 0) continue;
      const was = r.get(el) ?? 0;
      const now = was + d;
      if (now > 0) r.set(el, now);
      else r.delete(el);
      if (was > 0 && now <= 0) removed.set(set, [...(removed.get(set) ?? []), el]);
      if (was <= 0 && now > 0) added.set(set, [...(added.get(set) ?? []), el]);
    }
  }
  const out: string[] = [];
  const fresh = [...newAffinity].filter(([a]) => !oldAffinity.has(a));
  if (fresh.length > 0)
    out.push(`table ${t} {`, ...fresh.map(([a, timeout]) => affinitySetDecl(a, timeout)), '}');
  // An element removed and added again in one go (same key, maybe a new verdict) is simply rewritten.
  for (const [set, els] of removed)
    out.push(`delete element ${t} ${set} { ${els.map(keyOfElement).join(', ')} }`);
  for (const c of oldChains) out.push(`flush chain ${t} ${c}`);
  for (const c of oldChains) if (!newChains.has(c)) out.push(`delete chain ${t} ${c}`);
  if (newChains.size > 0) out.push(...chainBlock(t, newChains));
  for (const [set, els] of added) out.push(`add element ${t} ${set} { ${els.join(', ')} }`);
  for (const a of oldAffinity) if (!newAffinity.has(a)) out.push(`delete set ${t} ${a}`);
  return { text: `${out.join('\n')}\n`, snapshot: previous };
}

/** Names of the chains and sets a snapshot's table holds (for deleting leftovers later). */
export function namesInSnapshot(
  snapshot: NftSnapshot,
  opts: NftRenderOptions,
): { chains: string[]; sets: string[] } {
  const chains = new Set<string>(baseChains(opts).keys());
  const sets = new Set<string>(Object.keys(STATIC_SETS));
  for (const f of snapshot.fragments.values()) {
    for (const c of f.chains.keys()) chains.add(c);
    for (const a of f.affinitySets.keys()) sets.add(a);
  }
  return { chains: [...chains], sets: [...sets] };
}

function keyOfElement(el: string): string {
  const i = el.indexOf(' : ');
  return i < 0 ? el : el.slice(0, i);
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
  return opts.nodeIPs.length > 0 ? 'ip daddr @nodeport-ips' : 'ip daddr != 127.0.0.0/8 fib daddr type local';
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
