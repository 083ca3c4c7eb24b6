import { isIPv6 } from 'node:net';

export const CNI_VERSION = '1.0.0';

export interface BridgeConflistOptions {
  /** Network name: keys host-local's lease directory, the CNI result cache and ipMasq chains. */
  networkName: string;
  /** Linux bridge the pods' veths join (max 15 characters). */
  bridge: string;
  /** The node's spec.podCIDRs (one per IP family). */
  podCIDRs: string[];
  /** SNAT traffic from pods to destinations outside the node's pod CIDR to the node's address. */
  ipMasq: boolean;
  /** host-local's lease directory; default: the plugin's own (/var/lib/cni/networks). */
  ipamDataDir?: string;
}

/** Address, prefix length and family of a CIDR; throws on anything else (host-local checks the rest). */
export function parseCidr(cidr: string): { ip: string; prefix: number; v6: boolean } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(cidr.trim());
  const ip = m?.[1] ?? '';
  const prefix = Number(m?.[2]);
  const v6 = isIPv6(ip);
  if (!m || (!v6 && !/^(\d{1,3}\.){3}\d{1,3}$/.test(ip)) || prefix > (v6 ? 128 : 32))
    throw new Error(`invalid CIDR ${JSON.stringify(cidr)}`);
  return { ip, prefix, v6 };
}

/**
 * The CNI network of a node's pods: a bridge with the gateway address of each pod CIDR
 * (host-local IPAM hands out the rest, default route via the bridge), hairpin mode so a
 * pod reaches itself through a Service, then portmap for hostPorts (SNAT for connections
 * from the node's own addresses, localhost included) and loopback for the pod's `lo`.
 */
export function bridgeConflist(o: BridgeConflistOptions): Record<string, unknown> {
  if (o.podCIDRs.length === 0) throw new Error('a bridge network needs at least one pod CIDR');
  if (!/^[A-Za-z0-9_.-]{1,15}$/.test(o.bridge))
    throw new Error(`invalid bridge name ${JSON.stringify(o.bridge)}`);
  const cidrs = o.podCIDRs.map((c) => ({ cidr: c.trim(), ...parseCidr(c) }));
  const ipam: Record<string, unknown> = {
    type: 'host-local',
    ranges: cidrs.map((c) => [{ subnet: c.cidr }]),
    routes: [...new Set(cidrs.map((c) => (c.v6 ? '::/0' : '0.0.0.0/0')))].map((dst) => ({ dst })),
  };
  if (o.ipamDataDir) ipam.dataDir = o.ipamDataDir;
  return {
    cniVersion: CNI_VERSION,
    name: o.networkName,
    plugins: [
      {
        type: 'bridge',
        bridge: o.bridge,
        isGateway: true,
        ipMasq: o.ipMasq,
        hairpinMode: true,
        ipam,
      },
      { type: 'portmap', capabilities: { portMappings: true }, snat: true },
      { type: 'loopback' },
    ],
  };
}
