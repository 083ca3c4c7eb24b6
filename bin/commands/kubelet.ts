import os from 'node:os';
import { dirname, join } from 'node:path';
import { Command, Option } from 'commander';
import { parseQuantity } from '../../api/quantity.js';
import { DEFAULT_CRI_ENDPOINT } from '../../shim/endpoint.js';
import { rootLogger } from '../logger.js';

export interface KubeletFlags {
  kubeconfig?: string;
  hostnameOverride?: string;
  nodeName?: string;
  nodeIp?: string;
  containerRuntimeEndpoint: string;
  podLogsDir: string;
  rootDir: string;
  cgroupRoot?: string;
  podManifestPath?: string;
  containerLogMaxSize: string;
  evictionHard: string;
  imageGcHighThreshold: string;
  imageGcLowThreshold: string;
  containerLogMaxFiles: string;
  cgroupDriver: string;
  address: string;
  port: string;
  tlsCertFile?: string;
  tlsPrivateKeyFile?: string;
  clientCaFile?: string;
  manageContainerd: 'auto' | 'never';
  cniConfDir?: string;
  cniConfFile: string;
  cniBridge: string;
  cniIpMasq: boolean;
  cniIpamDataDir?: string;
  podCidr?: string;
  clusterDns?: string;
  clusterDomain: string;
  resolvConf: string;
  cniBinDir?: string;
}

const opt = (flags: string, description: string, env: string, def?: string) => {
  const o = new Option(flags, description).env(env);
  return def === undefined ? o : o.default(def);
};

/** Options only the kubelet has; `skiff agent` adds them beside the proxy's (which bring kubeconfig, hostname, node IP). */
export function addKubeletOnlyOptions(cmd: Command): Command {
  return cmd
    .addOption(opt('--node-name <name>', '(node) same as --hostname-override', 'SKIFF_NODE_NAME'))
    .addOption(
      opt(
        '--container-runtime-endpoint <url>',
        '(runtime) CRI socket',
        'SKIFF_CONTAINER_RUNTIME_ENDPOINT',
        DEFAULT_CRI_ENDPOINT,
      ),
    )
    .addOption(
      opt(
        '--manage-containerd <when>',
        '(runtime) auto: start containerd with skiff config when nothing answers on the endpoint',
        'SKIFF_MANAGE_CONTAINERD',
        'auto',
      ).choices(['auto', 'never']),
    )
    .addOption(
      opt(
        '--root-dir <dir>',
        '(node) kubelet state: pod volumes',
        'SKIFF_ROOT_DIR',
        '/var/lib/skiff/kubelet',
      ),
    )
    .addOption(
      opt('--pod-logs-dir <dir>', '(runtime) container log files', 'SKIFF_POD_LOGS_DIR', '/var/log/pods'),
    )
    .addOption(
      opt(
        '--cgroup-root <path>',
        '(runtime) parent cgroup of the pods: a path (cgroupfs; default /skiff-<node>) or a slice (systemd; default skiff_<node>.slice)',
        'SKIFF_CGROUP_ROOT',
      ),
    )
    .addOption(opt('--address <ip>', '(kubelet API) address to serve on', 'SKIFF_KUBELET_ADDRESS', '0.0.0.0'))
    .addOption(
      opt(
        '--port <port>',
        '(kubelet API) HTTPS port (logs, exec, port-forward)',
        'SKIFF_KUBELET_PORT',
        '10250',
      ),
    )
    .addOption(
      opt(
        '--tls-cert-file <file>',
        '(kubelet API) serving certificate; default: a self-signed one made at start',
        'SKIFF_TLS_CERT_FILE',
      ),
    )
    .addOption(
      opt(
        '--tls-private-key-file <file>',
        '(kubelet API) key of --tls-cert-file',
        'SKIFF_TLS_PRIVATE_KEY_FILE',
      ),
    )
    .addOption(
      opt(
        '--client-ca-file <file>',
        "(kubelet API) CA of accepted client certificates; default: the kubeconfig's cluster CA",
        'SKIFF_CLIENT_CA_FILE',
      ),
    )
    .addOption(
      opt(
        '--cgroup-driver <driver>',
        '(runtime) cgroupfs, or systemd (pod cgroups as systemd slices; containerd must use SystemdCgroup = true)',
        'SKIFF_CGROUP_DRIVER',
        'cgroupfs',
      ).choices(['cgroupfs', 'systemd']),
    )
    .addOption(
      opt(
        '--eviction-hard <thresholds>',
        '(node) pressure thresholds, e.g. memory.available<100Mi,nodefs.available<10% (upstream defaults)',
        'SKIFF_EVICTION_HARD',
      ),
    )
    .addOption(
      opt(
        '--image-gc-high-threshold <percent>',
        '(runtime) image disk usage that starts image GC',
        'SKIFF_IMAGE_GC_HIGH_THRESHOLD',
        '85',
      ),
    )
    .addOption(
      opt(
        '--image-gc-low-threshold <percent>',
        '(runtime) image disk usage image GC frees down to',
        'SKIFF_IMAGE_GC_LOW_THRESHOLD',
        '80',
      ),
    )
    .addOption(
      opt(
        '--container-log-max-size <quantity>',
        '(runtime) rotate a container log above this size',
        'SKIFF_CONTAINER_LOG_MAX_SIZE',
        '10Mi',
      ),
    )
    .addOption(
      opt(
        '--container-log-max-files <n>',
        '(runtime) log files kept per container, the live one included (>= 2)',
        'SKIFF_CONTAINER_LOG_MAX_FILES',
        '5',
      ),
    )
    .addOption(
      opt(
        '--pod-manifest-path <dir>',
        '(node) directory of static pod manifests (one Pod per file); mirrored into the API',
        'SKIFF_POD_MANIFEST_PATH',
      ),
    )
    .addOption(
      opt(
        '--cluster-dns <ips>',
        '(networking) comma-separated DNS server IPs of ClusterFirst pods; none: pods use the host DNS',
        'SKIFF_CLUSTER_DNS',
      ),
    )
    .addOption(
      opt(
        '--cluster-domain <domain>',
        '(networking) cluster DNS domain',
        'SKIFF_CLUSTER_DOMAIN',
        'cluster.local',
      ),
    )
    .addOption(
      opt(
        '--resolv-conf <file>',
        '(networking) host resolver config for dnsPolicy Default pods; "" = none',
        'SKIFF_RESOLV_CONF',
        '/etc/resolv.conf',
      ),
    )
    .addOption(
      opt(
        '--pod-cidr <cidrs>',
        '(networking) pod CIDR(s) of this node when its Node has no spec.podCIDRs (standalone, no node IPAM)',
        'SKIFF_POD_CIDR',
      ),
    )
    .addOption(
      opt(
        '--cni-conf-dir <dir>',
        '(networking) the runtime\'s CNI conf_dir, where the kubelet writes the pod network\'s conflist; "" = it writes none (CNI managed by others)',
        'SKIFF_CNI_CONF_DIR',
        '/etc/cni/net.d',
      ),
    )
    .addOption(
      opt(
        '--cni-conf-file <name>',
        '(networking) file name of that conflist (the runtime loads the first by name)',
        'SKIFF_CNI_CONF_FILE',
        '10-skiff.conflist',
      ),
    )
    .addOption(opt('--cni-bridge <name>', "(networking) the pods' Linux bridge", 'SKIFF_CNI_BRIDGE', 'cni0'))
    .addOption(
      new Option('--cni-ip-masq [bool]', "(networking) masquerade pod traffic leaving the node's pod CIDR")
        .env('SKIFF_CNI_IP_MASQ')
        .default(true)
        .argParser((v: string) => v !== 'false'),
    )
    .addOption(
      opt(
        '--cni-ipam-data-dir <dir>',
        "(networking) host-local IPAM lease directory; default the plugin's /var/lib/cni/networks",
        'SKIFF_CNI_IPAM_DATA_DIR',
      ),
    );
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');

function logMaxSize(value: string): number {
  let bytes: number;
  try {
    bytes = parseQuantity(value).value();
  } catch {
    throw new Error(`--container-log-max-size: "${value}" is not a quantity (e.g. 10Mi)`);
  }
  if (!(bytes > 0)) throw new Error(`--container-log-max-size: "${value}" must be positive`);
  return bytes;
}

function logMaxFiles(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 2)
    throw new Error(`--container-log-max-files: "${value}" must be an integer >= 2`);
  return n;
}

function kubeletPort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port: "${value}" is not a port number`);
  return n;
}

export async function runKubelet(flags: KubeletFlags, signal: AbortSignal): Promise<void> {
  // Bad flags stop the command before anything connects.
  const { parseEvictionThresholds } = await import('../../agent/node-pressure.js');
  const { DEFAULT_IMAGE_GC_POLICY, validateImageGcPolicy } = await import('../../agent/gc/image-gc-plan.js');
  const evictionHard = flags.evictionHard ? parseEvictionThresholds(flags.evictionHard) : undefined;
  const imageGc = {
    highThresholdPercent: Number(flags.imageGcHighThreshold),
    lowThresholdPercent: Number(flags.imageGcLowThreshold),
    minAgeMs: DEFAULT_IMAGE_GC_POLICY.minAgeMs,
  };
  validateImageGcPolicy(imageGc);
  const containerLogMaxSizeBytes = logMaxSize(flags.containerLogMaxSize);
  const containerLogMaxFiles = logMaxFiles(flags.containerLogMaxFiles);
  const cgroupDriver = flags.cgroupDriver === 'systemd' ? 'systemd' : 'cgroupfs';
  if (cgroupDriver === 'systemd') {
    const { systemdUnavailable } = await import('../../agent/cgroup-layout.js');
    const why = systemdUnavailable();
    if (why) throw new Error(why);
  }
  const log = rootLogger();
  const nodeName = (flags.nodeName || flags.hostnameOverride || os.hostname()).toLowerCase();
  const { ContainerdSupervisor } = await import('../../agent/containerd/containerd-supervisor.js');
  const { BUNDLED_PAUSE_IMAGE } = await import('../../agent/images/busybox-oci.js');
  const { BUNDLED_IMAGES_DIR, ImageLoader } = await import('../../agent/images/image-loader.js');
  const { startKubelet } = await import('../../agent/run.js');
  const { ApiClient, loadKubeconfig } = await import('../../client/index.js');
  const api = new ApiClient(loadKubeconfig({ path: flags.kubeconfig }), { component: 'kubelet' });
  const containerd =
    flags.manageContainerd === 'auto'
      ? new ContainerdSupervisor({
          endpoint: flags.containerRuntimeEndpoint,
          configDir: join(flags.rootDir, 'containerd'),
          // Beside the kubelet's state (/var/lib/skiff/containerd) and the socket (/run/containerd/state).
          root: join(dirname(flags.rootDir), 'containerd'),
          state: join(dirname(flags.containerRuntimeEndpoint.replace(/^unix:\/\//, '')), 'state'),
          sandboxImage: BUNDLED_PAUSE_IMAGE,
          cgroupDriver,
          cniConfDir: flags.cniConfDir ?? '/etc/cni/net.d',
          cniBinDir: flags.cniBinDir ?? '/usr/lib/cni',
          registryConfigDir: '/etc/containerd/certs.d',
          log: log.child({ component: 'containerd' }),
        })
      : undefined;
  const images = new ImageLoader({
    criEndpoint: flags.containerRuntimeEndpoint,
    log: log.child({ component: 'image-loader' }),
    bundledDir: BUNDLED_IMAGES_DIR,
    watchDir: join(flags.rootDir, 'images'),
  });
  try {
    await containerd?.ensure();
    await images.start();
    await startKubelet({
      api,
      log,
      signal,
      nodeName,
      // The proxy's --node-ip takes a list; the kubelet publishes the first as its InternalIP.
      nodeIP: flags.nodeIp?.split(',')[0]?.trim() || undefined,
      criEndpoint: flags.containerRuntimeEndpoint,
      podLogsDir: flags.podLogsDir,
      rootDir: flags.rootDir,
      manifestDir: flags.podManifestPath,
      containerLogMaxSizeBytes,
      containerLogMaxFiles,
      evictionHard,
      imageGcHighThresholdPercent: imageGc.highThresholdPercent,
      imageGcLowThresholdPercent: imageGc.lowThresholdPercent,
      server: {
        address: flags.address,
        port: kubeletPort(flags.port),
        tlsCertFile: flags.tlsCertFile,
        tlsPrivateKeyFile: flags.tlsPrivateKeyFile,
        clientCaFile: flags.clientCaFile,
      },
      cgroupRoot: flags.cgroupRoot,
      cgroupDriver,
      clusterDNS: list(flags.clusterDns),
      clusterDomain: flags.clusterDomain,
      resolvConf: flags.resolvConf,
      podCIDRs: list(flags.podCidr),
      cniConfDir: flags.cniConfDir,
      cniConfFile: flags.cniConfFile,
      cniBridge: flags.cniBridge,
      cniIpMasq: flags.cniIpMasq,
      cniIpamDataDir: flags.cniIpamDataDir,
    });
  } finally {
    images.stop();
    await api.close();
    await containerd?.stop();
  }
}

/** `skiff kubelet`: registers this host as a Node and runs the pods bound to it on containerd. */
export function kubeletCommand(): Command {
  return addKubeletOnlyOptions(
    new Command('kubelet')
      .description('the node agent: registers the Node and runs its pods through the CRI')
      .addOption(opt('--kubeconfig <file>', '(connection) kubeconfig of the API server', 'SKIFF_KUBECONFIG'))
      .addOption(
        opt(
          '--hostname-override <name>',
          '(node) Node name; default: the host name',
          'SKIFF_HOSTNAME_OVERRIDE',
        ),
      )
      .addOption(
        opt(
          '--node-ip <ip>',
          '(node) InternalIP; default: the first non-internal IPv4 address',
          'SKIFF_NODE_IP',
        ),
      ),
  ).action(async (flags: KubeletFlags) => {
    const stop = new AbortController();
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    await runKubelet(flags, stop.signal);
  });
}
