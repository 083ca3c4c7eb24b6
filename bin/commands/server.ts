import os from 'node:os';
import { Command, Option } from 'commander';
import type { ApiClient } from '../../client/rest-client.js';
import { rootLogger } from '../logger.js';
import { defaultAgentFlags, runAgent } from './agent.js';

interface ServerFlags {
  dataDir: string;
  securePort: string;
  bindAddress: string;
  advertiseAddress?: string;
  etcdServers?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  etcdClientPort: string;
  etcdPeerPort: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  etcdCompactionSchedule: string;
  disableHttp2Serving?: boolean;
  http2MaxStreamsPerConnection: string;
  disableScheduler?: boolean;
  disableControllerManager?: boolean;
  agent?: boolean;
  clusterCidr: string;
}

const opt = (flags: string, description: string, env: string, def?: string) => {
  const o = new Option(flags, description).env(env);
  return def === undefined ? o : o.default(def);
};

/** Options shared by `server` and `apiserver`. */
export function addApiServerOptions(cmd: Command): Command {
  return cmd
    .addOption(
      opt(
        '--data-dir <dir>',
        '(storage) state directory: etcd data, TLS, admin.kubeconfig',
        'SKIFF_DATA_DIR',
        '/var/lib/skiff/server',
      ),
    )
    .addOption(opt('--secure-port <port>', '(listener) HTTPS port of the API', 'SKIFF_SECURE_PORT', '6443'))
    .addOption(
      opt('--bind-address <addr>', '(listener) address the API listens on', 'SKIFF_BIND_ADDRESS', '0.0.0.0'),
    )
    .addOption(
      opt(
        '--advertise-address <addr>',
        '(listener) address published in the kubernetes endpoints (default: first host IPv4)',
        'SKIFF_ADVERTISE_ADDRESS',
      ),
    )
    .addOption(
      opt(
        '--etcd-servers <urls>',
        '(storage) external etcd endpoints, comma-separated; embedded etcd when empty',
        'SKIFF_ETCD_SERVERS',
      ),
    )
    .addOption(opt('--etcd-cafile <file>', '(storage) CA of the external etcd', 'SKIFF_ETCD_CAFILE'))
    .addOption(opt('--etcd-certfile <file>', '(storage) client certificate for etcd', 'SKIFF_ETCD_CERTFILE'))
    .addOption(opt('--etcd-keyfile <file>', '(storage) client key for etcd', 'SKIFF_ETCD_KEYFILE'))
    .addOption(
      opt(
        '--etcd-client-port <port>',
        '(storage) loopback client port of the embedded etcd',
        'SKIFF_ETCD_CLIENT_PORT',
        '2379',
      ),
    )
    .addOption(
      opt(
        '--etcd-peer-port <port>',
        '(storage) loopback peer port of the embedded etcd',
        'SKIFF_ETCD_PEER_PORT',
        '2380',
      ),
    )
    .addOption(
      opt(
        '--etcd-compaction-schedule <cron>',
        '(storage) when to compact etcd (cron)',
        'SKIFF_ETCD_COMPACTION_SCHEDULE',
        '*/5 * * * *',
      ),
    )
    .addOption(
      opt(
        '--service-cluster-ip-range <cidr>',
        '(networking) ClusterIP range',
        'SKIFF_SERVICE_CLUSTER_IP_RANGE',
        '10.96.0.0/12',
      ),
    )
    .addOption(
      opt(
        '--service-node-port-range <range>',
        '(networking) NodePort range',
        'SKIFF_SERVICE_NODE_PORT_RANGE',
        '30000-32767',
      ),
    )
    .addOption(
      opt(
        '--disable-http2-serving',
        '(listener) serve HTTP/1.1 only (no ALPN h2)',
        'SKIFF_DISABLE_HTTP2_SERVING',
      ),
    )
    .addOption(
      opt(
        '--http2-max-streams-per-connection <n>',
        '(listener) concurrent HTTP/2 streams (requests, watches) per client connection',
        'SKIFF_HTTP2_MAX_STREAMS_PER_CONNECTION',
        '1000',
      ),
    );
}

function parsePort(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new Error(`--${name}: "${value}" is not a port number`);
  return n;
}

function parseCount(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 2 ** 31 - 1)
    throw new Error(`--${name}: "${value}" is not a positive count`);
  return n;
}

/** A control-plane component run in-process by `skiff server`, talking to the API like any client. */
async function startComponent(
  name: string,
  kubeconfig: string,
  start: (api: ApiClient, signal: AbortSignal) => Promise<void>,
  signal: AbortSignal,
  log: ReturnType<typeof rootLogger>,
): Promise<void> {
  const { ApiClient, loadKubeconfig } = await import('../../client/index.js');
  const api = new ApiClient(loadKubeconfig({ path: kubeconfig }), { component: name, qps: 500, burst: 1000 });
  try {
    await start(api, signal);
  } catch (e) {
    if (!signal.aborted) log.error({ err: e, component: name }, 'component stopped with an error');
  } finally {
    await api.close();
  }
}

export async function runServer(flags: ServerFlags, role: 'server' | 'apiserver'): Promise<void> {
  const log = rootLogger();
  // Components load on demand, so a process carries only the code of what it runs.
  const { startApiServer } = await import('../../control-plane/apiserver/run.js');
  const { startScheduler } = await import('../../control-plane/scheduler/run.js');
  const { startControllerManager } = await import('../../control-plane/controllers/controller-manager.js');
  const running = await startApiServer({
    dataDir: flags.dataDir,
    securePort: parsePort('secure-port', flags.securePort),
    bindAddress: flags.bindAddress,
    advertiseAddress: flags.advertiseAddress,
    etcdServers: (flags.etcdServers ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    etcdCaFile: flags.etcdCafile,
    etcdCertFile: flags.etcdCertfile,
    etcdKeyFile: flags.etcdKeyfile,
    embeddedEtcdClientPort: parsePort('etcd-client-port', flags.etcdClientPort),
    embeddedEtcdPeerPort: parsePort('etcd-peer-port', flags.etcdPeerPort),
    serviceClusterIpRange: flags.serviceClusterIpRange,
    serviceNodePortRange: flags.serviceNodePortRange,
    compactionSchedule: flags.etcdCompactionSchedule,
    http2: !flags.disableHttp2Serving,
    http2MaxStreamsPerConnection: parseCount(
      'http2-max-streams-per-connection',
      flags.http2MaxStreamsPerConnection,
    ),
    log,
  });
  const components = new AbortController();
  const started: Promise<void>[] = [];
  if (role === 'server' && !flags.disableScheduler) {
    const kubeconfig = await running.componentKubeconfig('scheduler', 'system:kube-scheduler', []);
    started.push(
      startComponent(
        'scheduler',
        kubeconfig,
        (api, signal) =>
          startScheduler({ api, log: log.child({ component: 'scheduler' }), signal, leaderElect: true }),
        components.signal,
        log,
      ),
    );
  }
  if (role === 'server' && !flags.disableControllerManager) {
    const kubeconfig = await running.componentKubeconfig(
      'controller-manager',
      'system:kube-controller-manager',
      [],
    );
    started.push(
      startComponent(
        'controller-manager',
        kubeconfig,
        (api, signal) =>
          startControllerManager({
            api,
            log: log.child({ component: 'controller-manager' }),
            signal,
            leaderElect: true,
            clusterCidr: flags.clusterCidr,
          }),
        components.signal,
        log,
      ),
    );
  }
  if (role === 'server' && flags.agent) {
    const agentFlags = defaultAgentFlags();
    const nodeName = (agentFlags.nodeName || agentFlags.hostnameOverride || os.hostname()).toLowerCase();
    agentFlags.kubeconfig = await running.componentKubeconfig('kubelet', `system:node:${nodeName}`, [
      'system:nodes',
    ]);
    agentFlags.nodeName = nodeName;
    agentFlags.clusterCidr = flags.clusterCidr;
    // Its own controller: an agent failure stops the agent, not the control plane.
    const agentStop = new AbortController();
    components.signal.addEventListener('abort', () => agentStop.abort());
    started.push(
      runAgent(agentFlags, agentStop).then((ok) => {
        if (!ok && !components.signal.aborted)
          log.error('the agent stopped; the control plane keeps running');
      }),
    );
  }
  log.info({ role, kubeconfig: running.kubeconfigPath }, 'skiff control plane ready');
  process.stdout.write(
    `skiff ${role} is ready.\n  admin kubeconfig: ${running.kubeconfigPath}\n  try: kubectl --kubeconfig ${running.kubeconfigPath} get nodes\n`,
  );
  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      log.info({ signal }, 'shutting down');
      components.abort();
      Promise.allSettled(started)
        .then(() => running.stop())
        .then(resolve, (e) => {
          log.error({ err: e }, 'shutdown failed');
          resolve();
        });
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export function serverCommand(): Command {
  return addApiServerOptions(
    new Command('server').description(
      'the whole control plane in one process, with embedded etcd by default (like k3s server)',
    ),
  )
    .addOption(
      opt(
        '--disable-scheduler',
        '(components) do not run the scheduler in this process',
        'SKIFF_DISABLE_SCHEDULER',
      ),
    )
    .addOption(
      opt(
        '--cluster-cidr <cidr>',
        '(networking) pod network; a /24 per node',
        'SKIFF_CLUSTER_CIDR',
        '10.244.0.0/16',
      ),
    )
    .addOption(
      opt(
        '--agent',
        '(components) also run the node agent (kubelet + proxy) here, on the local containerd, like k3s server',
        'SKIFF_AGENT',
      ),
    )
    .addOption(
      opt(
        '--disable-controller-manager',
        '(components) do not run the controller-manager in this process',
        'SKIFF_DISABLE_CONTROLLER_MANAGER',
      ),
    )
    .action((flags: ServerFlags) => runServer(flags, 'server'));
}

export function apiServerCommand(): Command {
  return addApiServerOptions(
    new Command('apiserver').description('the Kubernetes API server on etcd'),
  ).action((flags: ServerFlags) => runServer(flags, 'apiserver'));
}
