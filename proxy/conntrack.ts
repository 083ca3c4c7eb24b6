import { planService } from './service-plan.js';
import type { ProxyState, ServicePortInfo } from './service-port-map.js';

/** One `conntrack -D` filter: UDP flows to a service address or port, optionally to one backend. */
export interface ConntrackFilter {
  /** Original destination address (a service IP); absent for NodePort flows. */
  origDst?: string;
  /** Original destination port. */
  origPort?: number;
  /** The backend the flow was DNATed to. */
  dstNat?: string;
}

function serviceIPs(svc: ServicePortInfo): string[] {
  return [...svc.clusterIPs, ...svc.externalIPs, ...svc.loadBalancerIPs];
}

function usedIPs(svc: ServicePortInfo, nodeName: string): Set<string> {
  const plan = planService(svc, nodeName);
  return new Set([...plan.cluster, ...plan.local].map((e) => e.ip));
}

/**
 * UDP flows conntrack would keep sending to the wrong place after moving from `prev` to `next`:
 * flows DNATed to a backend no longer used (UDP has no connection end to notice), and flows
 * remembered while a service had no backend (they were never DNATed). As upstream.
 */
export function staleUdpFlows(prev: ProxyState, next: ProxyState, nodeName: string): ConntrackFilter[] {
  const out: ConntrackFilter[] = [];
  const nextByKey = new Map(next.services.map((s) => [s.key, s]));
  for (const before of prev.services) {
    if (before.protocol !== 'UDP') continue;
    const after = nextByKey.get(before.key);
    const was = usedIPs(before, nodeName);
    const now = after ? usedIPs(after, nodeName) : new Set<string>();
    for (const ep of was) {
      if (now.has(ep)) continue;
      for (const ip of serviceIPs(before)) out.push({ origDst: ip, dstNat: ep });
      if (before.nodePort !== undefined) out.push({ origPort: before.nodePort, dstNat: ep });
    }
  }
  const prevByKey = new Map(prev.services.map((s) => [s.key, s]));
  for (const after of next.services) {
    if (after.protocol !== 'UDP') continue;
    const before = prevByKey.get(after.key);
    const hadNone = !before || usedIPs(before, nodeName).size === 0;
    if (!hadNone || usedIPs(after, nodeName).size === 0) continue;
    for (const ip of serviceIPs(after)) out.push({ origDst: ip, origPort: after.port });
    if (after.nodePort !== undefined) out.push({ origPort: after.nodePort });
  }
  return out;
}

/** `conntrack` arguments deleting the flows one filter names. */
export function conntrackArgs(f: ConntrackFilter): string[] {
  const args = ['-D', '-p', 'udp'];
  if (f.origDst) args.push('--orig-dst', f.origDst);
  if (f.origPort !== undefined) args.push('--orig-port-dst', String(f.origPort));
  if (f.dstNat) args.push('--dst-nat', f.dstNat);
  return args;
}
