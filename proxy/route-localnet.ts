import { writeFile } from 'node:fs/promises';
import { runTool } from './backend.js';

/**
 * Sets net.ipv4.conf.all.route_localnet=1, as kube-proxy does for localhost NodePorts in
 * iptables mode: without it the kernel drops a packet from 127.0.0.1 that DNAT sends off the host.
 * The setting is per network namespace: with `netns`, that namespace's.
 */
export async function enableRouteLocalnet(netns?: string): Promise<void> {
  if (netns) await runTool('sysctl', ['-qw', 'net.ipv4.conf.all.route_localnet=1'], '', netns);
  else await writeFile('/proc/sys/net/ipv4/conf/all/route_localnet', '1');
}
