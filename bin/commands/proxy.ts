import { hostname } from 'node:os';
import { Command, Option } from 'commander';
import type { ProxyMode } from '../../proxy/backend.js';
import { rootLogger } from '../logger.js';

export interface ProxyFlags {
  kubeconfig?: string;
  proxyMode: string;
  hostnameOverride?: string;
  nodeIp?: string;
  clusterCidr: string;
  minSyncPeriod: string;
  healthzBindAddress: string;
  metricsBindAddress: string;
  cleanup?: boolean;
  iptablesLocalhostNodeports: string;
}

const opt = (flags: string, description: string, env: string, def?: string) => {
  const o = new Option(flags, description).env(env);
  return def === undefined ? o : o.default(def);
};

/** `500ms`, `1s`, `2m`, `1h`, or a plain number of seconds, as milliseconds. */
export function parseDuration(value: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(value.trim());
  if (!m) throw new Error(`"${value}" is not a duration (e.g. 500ms, 1s, 2m)`);
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's'] as number;
  return Math.round(Number(m[1]) * factor);
}

export function parseMode(value: string): ProxyMode {
  if (value === 'nftables' || value === 'iptables') return value;
  throw new Error(`--proxy-mode: "${value}" is not one of nftables, iptables`);
}

export function addProxyOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--kubeconfig <file>', '(proxy) kubeconfig to reach the API server', 'SKIFF_KUBECONFIG'))
    .addOption(opt('--proxy-mode <mode>', '(proxy) nftables or iptables', 'SKIFF_PROXY_MODE', 'nftables'))
    .addOption(
      opt(
        '--iptables-localhost-nodeports <bool>',
        '(proxy) iptables mode: NodePorts also answer on 127.0.0.1 when --node-ip is unset or lists a loopback address (sets route_localnet=1); nftables mode never serves NodePorts on localhost',
        'SKIFF_IPTABLES_LOCALHOST_NODEPORTS',
        'true',
      ).choices(['true', 'false']),
    )
    .addOption(
      opt(
        '--hostname-override <name>',
        '(proxy) node name (default: the host name)',
        'SKIFF_HOSTNAME_OVERRIDE',
      ),
    )
    .addOption(
      opt(
        '--node-ip <addrs>',
        '(proxy) comma-separated addresses NodePorts answer on (default: every local address)',
        'SKIFF_NODE_IP',
      ),
    )
    .addOption(
      opt(
        '--cluster-cidr <cidr>',
        '(proxy) pod CIDR: traffic from outside it to a Service is masqueraded',
        'SKIFF_CLUSTER_CIDR',
        '10.244.0.0/16',
      ),
    )
    .addOption(
      opt(
        '--min-sync-period <duration>',
        '(proxy) least time between two rule syncs',
        'SKIFF_MIN_SYNC_PERIOD',
        '1s',
      ),
    )
    .addOption(
      opt(
        '--healthz-bind-address <host:port>',
        '(proxy) where /healthz is served; empty disables',
        'SKIFF_HEALTHZ_BIND_ADDRESS',
        '0.0.0.0:10256',
      ),
    )
    .addOption(
      opt(
        '--metrics-bind-address <host:port>',
        '(proxy) where /metrics is served; empty disables',
        'SKIFF_METRICS_BIND_ADDRESS',
        '127.0.0.1:10249',
      ),
    )
    .addOption(new Option('--cleanup', '(proxy) remove every rule skiff made, in both modes, and exit'));
}

export async function runProxy(flags: ProxyFlags, signal: AbortSignal): Promise<void> {
  const log = rootLogger();
  const nodeName = flags.hostnameOverride || hostname();
  const nodeIPs = flags.nodeIp
    ? flags.nodeIp
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : [];
  const facts = { nodeName, nodeIPs, clusterCidr: flags.clusterCidr };
  if (flags.cleanup) {
    for (const mode of ['nftables', 'iptables'] as const) {
      try {
        const { createBackend } = await import('../../proxy/backend.js');
        await createBackend(mode, facts).cleanup();
        log.info({ mode }, 'proxy rules removed');
      } catch (e) {
        log.warn({ err: e, mode }, 'removing proxy rules failed');
      }
    }
    return;
  }
  const { ApiClient, defaultKubeconfigPath, loadKubeconfig } = await import('../../client/index.js');
  const { startProxy } = await import('../../proxy/run.js');
  const conn = loadKubeconfig({ path: flags.kubeconfig ?? defaultKubeconfigPath() });
  const api = new ApiClient(conn, { component: 'proxy' });
  try {
    await startProxy({
      api,
      log,
      signal,
      mode: parseMode(flags.proxyMode),
      ...facts,
      minSyncPeriodMs: parseDuration(flags.minSyncPeriod),
      serveAddresses: [flags.healthzBindAddress, flags.metricsBindAddress],
      localhostNodePorts: flags.iptablesLocalhostNodeports !== 'false',
    });
  } finally {
    await api.close();
  }
}

export function proxyCommand(): Command {
  return addProxyOptions(
    new Command('proxy').description(
      'the service proxy: Services and EndpointSlices to iptables or nftables rules',
    ),
  ).action(async (flags: ProxyFlags) => {
    const ac = new AbortController();
    process.once('SIGINT', () => ac.abort());
    process.once('SIGTERM', () => ac.abort());
    await runProxy(flags, ac.signal);
  });
}
