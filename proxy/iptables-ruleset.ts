import { endpointId, shortHash } from './chain-names.js';
import { MASQ_MARK } from './nftables-ruleset.js';
import { planService } from './service-plan.js';
import {
  isLoopbackIPv4,
  type ProxyEndpoint,
  type ProxyState,
  type ServicePortInfo,
} from './service-port-map.js';

export type IptTable = 'nat' | 'filter';

/** Every chain skiff creates starts with this; cleanup removes exactly those. */
export const IPT_PREFIX = 'SKIFF-';

export interface JumpRule {
  table: IptTable;
  chain: string;
  /** As iptables-save prints it after `-A CHAIN `. */
  spec: string;
}

/** Rules hooking skiff's chains into the built-in ones. */
export const JUMP_RULES: readonly JumpRule[] = [
  {
    table: 'nat',
    chain: 'PREROUTING',
    spec: '-m comment --comment "skiff service portals" -j SKIFF-SERVICES',
  },
  { table: 'nat', chain: 'OUTPUT', spec: '-m comment --comment "skiff service portals" -j SKIFF-SERVICES' },
  {
    table: 'nat',
    chain: 'POSTROUTING',
    spec: '-m comment --comment "skiff postrouting rules" -j SKIFF-POSTROUTING',
  },
  ...(['INPUT', 'FORWARD', 'OUTPUT'] as const).map((chain) => ({
    table: 'filter' as const,
    chain,
    spec: '-m conntrack --ctstate NEW -m comment --comment "skiff service rejects" -j SKIFF-SERVICES',
  })),
  ...(['INPUT', 'OUTPUT'] as const).map((chain) => ({
    table: 'filter' as const,
    chain,
    spec: '-m comment --comment "skiff firewall" -j SKIFF-FIREWALL',
  })),
];

export interface IptRenderOptions {
  nodeName: string;
  /** NodePort destinations; when empty, every local address of the node. */
  nodeIPs: string[];
  clusterCidr: string;
  /**
   * NodePorts also answer on 127.0.0.1 when the node addresses include loopback (or are all
   * local addresses), as upstream's `--iptables-localhost-nodeports`. Default true. The kernel
   * routes such packets only with route_localnet=1 (see `enableRouteLocalnet`).
   */
  localhostNodePorts?: boolean;
  /** skiff chains present before this restore, per table; those not rendered are deleted. */
  existing?: Partial<Record<IptTable, readonly string[]>>;
  /** Jump rules not yet installed (by `jumpKey`), inserted by this restore. */
  missingJumps?: readonly string[];
}

export interface IptRenderResult {
  text: string;
  chains: Record<IptTable, string[]>;
}

export const serviceChain = (svc: ServicePortInfo): string => `SKIFF-SVC-${shortHash(svc.key)}`;
export const localChain = (svc: ServicePortInfo): string => `SKIFF-SVL-${shortHash(svc.key)}`;
export const externalChain = (svc: ServicePortInfo): string => `SKIFF-EXT-${shortHash(svc.key)}`;
export const endpointChain = (svc: ServicePortInfo, ep: ProxyEndpoint): string =>
  `SKIFF-SEP-${shortHash(endpointId(svc, ep))}`;

const FIXED_NAT = ['SKIFF-SERVICES', 'SKIFF-NODEPORTS', 'SKIFF-POSTROUTING', 'SKIFF-MARK-MASQ'];
const FIXED_FILTER = ['SKIFF-SERVICES', 'SKIFF-FIREWALL'];
const LOOPBACK_NET = '127.0.0.0/8';

/** Whether NodePorts answer on localhost: iptables mode with loopback among the NodePort addresses. */
export function localhostNodePortsEnabled(opts: {
  nodeIPs: string[];
  localhostNodePorts?: boolean;
}): boolean {
  return (
    (opts.localhostNodePorts ?? true) && (opts.nodeIPs.length === 0 || opts.nodeIPs.some(isLoopbackIPv4))
  );
}

/** Match expressions for NodePort destinations, without loopback unless localhost NodePorts are on. */
function nodePortDestinations(opts: IptRenderOptions): string[] {
  const localhost = localhostNodePortsEnabled(opts);
  if (opts.nodeIPs.length === 0)
    return [`-m addrtype --dst-type LOCAL${localhost ? '' : ` ! -d ${LOOPBACK_NET}`}`];
  return opts.nodeIPs.filter((ip) => localhost || !isLoopbackIPv4(ip)).map((ip) => `-d ${ip}/32`);
}

function match(svc: ServicePortInfo, port: number): string {
  const p = svc.protocol.toLowerCase();
  return `-p ${p} -m ${p} --dport ${port}`;
}

/**
 * Renders an `iptables-restore --noflush` input: skiff's chains in nat (DNAT, masquerade) and
 * filter (rejects for services without endpoints) are declared, hence flushed, and refilled in
 * one transaction per table; chains no longer wanted are deleted. Built-in chains are only
 * touched to insert missing jump rules. Pure: same input, same text.
 */
export function renderIptables(state: ProxyState, opts: IptRenderOptions): IptRenderResult {
  const nat = new Map<string, string[]>(FIXED_NAT.map((c) => [c, []]));
  const filter = new Map<string, string[]>(FIXED_FILTER.map((c) => [c, []]));
  const add = (m: Map<string, string[]>, chain: string, rule: string): void => {
    let rs = m.get(chain);
    if (!rs) {
      rs = [];
      m.set(chain, rs);
    }
    rs.push(`-A ${chain} ${rule}`);
  };
  const mark = `0x${MASQ_MARK.toString(16)}`;
  add(nat, 'SKIFF-MARK-MASQ', `-j MARK --or-mark ${mark}`);
  add(nat, 'SKIFF-POSTROUTING', `-m mark ! --mark ${mark}/${mark} -j RETURN`);
  add(nat, 'SKIFF-POSTROUTING', `-j MARK --xor-mark ${mark}`);
  add(nat, 'SKIFF-POSTROUTING', '-j MASQUERADE --random-fully');
  const nodeDests = nodePortDestinations(opts);
  if (localhostNodePortsEnabled(opts)) {
    // route_localnet lets 127.0.0.1 be routed off the host: drop what arrives from outside for
    // loopback addresses, as upstream does (kubernetes#90259).
    add(
      filter,
      'SKIFF-FIREWALL',
      `-d ${LOOPBACK_NET} ! -s ${LOOPBACK_NET} -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -m comment --comment "block incoming localnet connections" -j DROP`,
    );
  }

  for (const svc of state.services) {
    const plan = planService(svc, opts.nodeName);
    const svcC = serviceChain(svc);
    const localC = localChain(svc);
    const extC = externalChain(svc);
    const m = match(svc, svc.port);
    for (const ip of svc.clusterIPs) {
      if (plan.internal === 'reject') {
        add(filter, 'SKIFF-SERVICES', `-d ${ip}/32 ${m} -j REJECT --reject-with icmp-port-unreachable`);
        continue;
      }
      if (opts.clusterCidr)
        add(nat, 'SKIFF-SERVICES', `-d ${ip}/32 ${m} ! -s ${opts.clusterCidr} -j SKIFF-MARK-MASQ`);
      add(nat, 'SKIFF-SERVICES', `-d ${ip}/32 ${m} -j ${plan.internal === 'local' ? localC : svcC}`);
    }
    if (plan.external !== undefined) {
      const dests = [...svc.externalIPs, ...svc.loadBalancerIPs];
      const route = plan.external;
      if (route === 'reject' || route === 'drop') {
        const verdict = route === 'reject' ? '-j REJECT --reject-with icmp-port-unreachable' : '-j DROP';
        for (const ip of dests) add(filter, 'SKIFF-SERVICES', `-d ${ip}/32 ${m} ${verdict}`);
        if (svc.nodePort !== undefined)
          for (const d of nodeDests)
            add(filter, 'SKIFF-SERVICES', `${d} ${match(svc, svc.nodePort)} ${verdict}`);
      }
      if (route !== 'reject') {
        for (const ip of dests) add(nat, 'SKIFF-SERVICES', `-d ${ip}/32 ${m} -j ${extC}`);
        if (svc.nodePort !== undefined) add(nat, 'SKIFF-NODEPORTS', `${match(svc, svc.nodePort)} -j ${extC}`);
        if (route === 'cluster') {
          add(nat, extC, '-j SKIFF-MARK-MASQ');
          add(nat, extC, `-j ${svcC}`);
        } else {
          if (opts.clusterCidr) add(nat, extC, `-s ${opts.clusterCidr} -j ${svcC}`);
          add(nat, extC, '-m addrtype --src-type LOCAL -j SKIFF-MARK-MASQ');
          add(nat, extC, `-m addrtype --src-type LOCAL -j ${svcC}`);
          // Without local endpoints nothing is DNATed here and the filter table drops the packet.
          if (route === 'local') add(nat, extC, `-j ${localC}`);
        }
      }
    }
    if (plan.needClusterChain) balance(svc, plan.cluster, (r) => add(nat, svcC, r));
    if (plan.needLocalChain) balance(svc, plan.local, (r) => add(nat, localC, r));
    const used = new Set([
      ...(plan.needClusterChain ? plan.cluster : []),
      ...(plan.needLocalChain ? plan.local : []),
    ]);
    for (const ep of svc.endpoints) {
      if (!used.has(ep)) continue;
      const sep = endpointChain(svc, ep);
      add(nat, sep, `-s ${ep.ip}/32 -j SKIFF-MARK-MASQ`);
      const p = svc.protocol.toLowerCase();
      const recent =
        svc.affinityTimeoutSeconds !== undefined
          ? ` -m recent --set --name ${sep} --mask 255.255.255.255 --rsource`
          : '';
      add(nat, sep, `-p ${p}${recent} -m ${p} -j DNAT --to-destination ${ep.ip}:${ep.port}`);
    }
  }
  // NodePorts last, so that a ClusterIP or external IP rule always wins.
  for (const d of nodeDests) add(nat, 'SKIFF-SERVICES', `${d} -j SKIFF-NODEPORTS`);

  const missing = new Set(opts.missingJumps ?? []);
  const out: string[] = [];
  for (const [table, chains] of [
    ['filter', filter],
    ['nat', nat],
  ] as const) {
    const stale = (opts.existing?.[table] ?? []).filter((c) => !chains.has(c));
    out.push(`*${table}`);
    for (const c of [...chains.keys(), ...stale]) out.push(`:${c} - [0:0]`);
    for (const j of JUMP_RULES)
      if (j.table === table && missing.has(jumpKey(j))) out.push(`-I ${j.chain} ${j.spec}`);
    for (const rs of chains.values()) out.push(...rs);
    for (const c of stale) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return { text: `${out.join('\n')}\n`, chains: { nat: [...nat.keys()], filter: [...filter.keys()] } };
}

function balance(svc: ServicePortInfo, eps: readonly ProxyEndpoint[], add: (rule: string) => void): void {
  if (svc.affinityTimeoutSeconds !== undefined) {
    for (const ep of eps) {
      const sep = endpointChain(svc, ep);
      add(`-m recent --name ${sep} --rcheck --seconds ${svc.affinityTimeoutSeconds} --reap -j ${sep}`);
    }
  }
  eps.forEach((ep, i) => {
    const left = eps.length - i;
    const stat = left > 1 ? `-m statistic --mode random --probability ${(1 / left).toFixed(10)} ` : '';
    add(`${stat}-j ${endpointChain(svc, ep)}`);
  });
}

/** skiff chains and jump rules found in `iptables-save` output of one table. */
export function parseIptablesSave(text: string): Record<IptTable, { chains: string[]; jumps: string[] }> {
  const out: Record<IptTable, { chains: string[]; jumps: string[] }> = {
    nat: { chains: [], jumps: [] },
    filter: { chains: [], jumps: [] },
  };
  let table: IptTable | undefined;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      table = name === 'nat' || name === 'filter' ? name : undefined;
      continue;
    }
    if (!table) continue;
    const decl = /^:(\S+) /.exec(line);
    if (decl?.[1].startsWith(IPT_PREFIX)) out[table].chains.push(decl[1]);
    const rule = /^-A (\S+) (.*)$/.exec(line);
    if (rule && !rule[1].startsWith(IPT_PREFIX) && /-j SKIFF-\S+$/.test(rule[2]))
      out[table].jumps.push(`${rule[1]} ${rule[2]}`);
  }
  return out;
}

/** `${table} ${chain} ${target}`: names one jump rule. */
export const jumpKey = (j: JumpRule): string => `${j.table} ${j.chain} ${j.spec.split(' ').at(-1)}`;

/** Jump rules of JUMP_RULES that are not present, by `jumpKey`. */
export function missingJumps(saved: Record<IptTable, { jumps: string[] }>): string[] {
  return JUMP_RULES.filter((j) => !saved[j.table].jumps.includes(`${j.chain} ${j.spec}`)).map(jumpKey);
}

/** A restore input removing every skiff chain and every jump to one, and nothing else. */
export function renderIptablesCleanup(
  saved: Record<IptTable, { chains: string[]; jumps: string[] }>,
): string {
  const out: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    const { chains, jumps } = saved[table];
    if (chains.length === 0 && jumps.length === 0) continue;
    out.push(`*${table}`);
    for (const c of chains) out.push(`:${c} - [0:0]`);
    for (const j of jumps) out.push(`-D ${j}`);
    for (const c of chains) out.push(`-X ${c}`);
    out.push('COMMIT');
  }
  return out.length > 0 ? `${out.join('\n')}\n` : '';
}
