import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { EventRecorder } from '../client/event-recorder.js';
import type { ApiClient } from '../client/rest-client.js';
import { CriClient } from '../shim/index.js';
import { type CgroupDriver, cgroupfsLayout, defaultRootSlice, systemdLayout } from './cgroup-layout.js';
import { PodNetwork } from './cni/pod-network.js';
import { createContainerInputs } from './container-inputs.js';
import { GarbageCollector } from './gc/index.js';
import { LogRotation } from './log-rotation.js';
import { firstHostIPv4, readHostFacts } from './node-info.js';
import { NODE_LEASE_RENEW_MS, NodeLease } from './node-lease.js';
import { type EvictionThreshold, NodePressure } from './node-pressure.js';
import { NodeRegistration } from './node-registration.js';
import { type PodDnsSettings, parseResolvConf } from './pod-dns.js';
import { PodManager } from './pod-manager.js';
import { createProbeHost } from './probes/index.js';
import { DEFAULT_CLUSTER_DOMAIN } from './sandbox-config.js';
import { Semaphore } from './semaphore.js';
import { type KubeletServer, startKubeletServer } from './server/index.js';

/** Sandboxes started at once; on 2 cores containerd is fastest overall at about this many. */
const DEFAULT_PARALLEL_SANDBOX_STARTS = 4;
/** Image pulls at once: parallel, bounded (upstream serializes by default). */
const DEFAULT_PARALLEL_PULLS = 3;
/** How often the runtime's readiness is checked (the Node is written only on change or heartbeat). */
const NODE_STATUS_CHECK_MS = 10_000;
/** How long the first Node status write waits for the pod network to read the Node. */
const NETWORK_WAIT_MS = 5000;

export interface KubeletOptions {
  api: ApiClient;
  log: Logger;
  signal: AbortSignal;
  nodeName: string;
  /** `--eviction-hard`: the thresholds of the pressure conditions. Default upstream's. */
  evictionHard?: EvictionThreshold[];
  /** `--image-gc-high-threshold` / `--image-gc-low-threshold` (percent of the image filesystem). */
  imageGcHighThresholdPercent?: number;
  imageGcLowThresholdPercent?: number;
  /** `--container-log-max-size` in bytes (default 10Mi) and `--container-log-max-files` (default 5). */
  containerLogMaxSizeBytes?: number;
  containerLogMaxFiles?: number;
  /** `--max-parallel-image-pulls`. Default 3. */
  maxParallelImagePulls?: number;
  /** How many pod sandboxes may start at once. Default 4. */
  parallelSandboxStarts?: number;
  /** --pod-manifest-path: a directory of static pod manifests. */
  manifestDir?: string;
  /** InternalIP of the node; default: the first non-internal IPv4 address. */
  nodeIP?: string;
  /** `unix:///run/containerd/containerd.sock` */
  criEndpoint: string;
  /** Parent of the pod cgroups (cgroupfs driver). Default `/skiff-<nodeName>`. */
  /** `--cgroup-root`: a path (cgroupfs) or a slice name (systemd); default per node. */
  cgroupRoot?: string;
  /** `--cgroup-driver`; default cgroupfs. */
  cgroupDriver?: CgroupDriver;
  /** Kubelet state (pod volumes under pods/<uid>/). Default /var/lib/skiff/kubelet. */
  rootDir?: string;
  /** Where CRI container logs go. Default /var/log/pods. */
  podLogsDir?: string;
  /** How often the runtime's readiness is checked. Default 10 s. */
  nodeStatusCheckMs?: number;
  /** `--cluster-dns`: nameservers of ClusterFirst pods. Default none (pods use the host's DNS). */
  clusterDNS?: string[];
  /** `--cluster-domain`. Default cluster.local. */
  clusterDomain?: string;
  /** `--resolv-conf`: the host resolver config pods with dnsPolicy Default get. Default /etc/resolv.conf; '' = none. */
  resolvConf?: string;
  /** `--pod-cidr`: pod CIDRs while the Node has none in spec.podCIDRs (standalone, no node IPAM). */
  podCIDRs?: string[];
  /**
   * `--cni-conf-dir` (the CLI's default /etc/cni/net.d): the runtime's CNI conf_dir, where the
   * kubelet writes the conflist for the node's pod CIDR. Unset: it writes none (the CNI config
   * is someone else's) and only the runtime's NetworkReady gates pods and the Ready condition.
   */
  cniConfDir?: string;
  /** `--cni-conf-file`: name of the conflist the kubelet writes there. Default 10-skiff.conflist. */
  cniConfFile?: string;
  /** `--cni-bridge`: the pods' bridge. Default cni0. */
  cniBridge?: string;
  /** `--cni-ip-masq`: masquerade pod traffic leaving the node's pod CIDR. Default true. */
  cniIpMasq?: boolean;
  /** `--cni-ipam-data-dir`: host-local's lease directory. Default the plugin's (/var/lib/cni/networks). */
  cniIpamDataDir?: string;
  /**
   * The kubelet API (logs, exec, attach, port-forward) on HTTPS. The CLI always serves it
   * (`--port`, default 10250); started in code, it is served only when a port is given (0 = any).
   */
  server?: {
    address?: string;
    port: number;
    tlsCertFile?: string;
    tlsPrivateKeyFile?: string;
    /** Default: the CA of the kubeconfig's cluster, which signs the apiserver's kubelet-client certificate. */
    clientCaFile?: string;
  };
}

function every(ms: number, signal: AbortSignal, fn: () => Promise<void>): Promise<void> {
  return new Promise((resolve) => {
    let timer: NodeJS.Timeout | undefined;
    const tick = async () => {
      await fn();
      if (!signal.aborted) timer = setTimeout(tick, ms);
    };
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    });
    void tick();
  });
}

/**
 * The kubelet: registers the Node and keeps its Ready condition and Lease current, and runs
 * the pods bound to it on the CRI runtime. Resolves once `signal` aborts and all loops stopped.
 */
export async function startKubelet(opts: KubeletOptions): Promise<void> {
  const log = opts.log.child({ component: 'kubelet', node: opts.nodeName });
  const nodeIP = opts.nodeIP ?? firstHostIPv4();
  const rootDir = opts.rootDir ?? '/var/lib/skiff/kubelet';
  const podLogsDir = opts.podLogsDir ?? '/var/log/pods';
  if (!nodeIP) throw new Error('no non-internal IPv4 address found: pass --node-ip');
  const cri = new CriClient({ endpoint: opts.criEndpoint });
  const events = new EventRecorder({ api: opts.api, component: 'kubelet', host: opts.nodeName, log });
  let server: KubeletServer | undefined;
  try {
    const host = await readHostFacts('/');
    const version = await cri.runtime.version().catch(() => undefined);
    const network = new PodNetwork({
      api: opts.api,
      cri,
      log,
      nodeName: opts.nodeName,
      confDir: opts.cniConfDir,
      confFile: opts.cniConfFile,
      bridge: opts.cniBridge,
      ipMasq: opts.cniIpMasq,
      ipamDataDir: opts.cniIpamDataDir,
      podCIDRs: opts.podCIDRs,
      // The Node shows the network ready without waiting for the next status check.
      onChange: () => void syncNode(),
    });
    const resolvConf = opts.resolvConf ?? '/etc/resolv.conf';
    const dns: PodDnsSettings = {
      clusterDNS: opts.clusterDNS ?? [],
      clusterDomain: opts.clusterDomain || DEFAULT_CLUSTER_DOMAIN,
      host: resolvConf ? parseResolvConf(await readFile(resolvConf, 'utf8')) : undefined,
    };
    if (dns.clusterDNS.length === 0)
      log.warn('no --cluster-dns: pods with dnsPolicy ClusterFirst get the host DNS (Default)');
    if (opts.server) {
      server = await startKubeletServer({
        cri,
        log,
        pods: () => pods.pods(),
        nodeName: opts.nodeName,
        address: opts.server.address,
        port: opts.server.port,
        tlsCertFile: opts.server.tlsCertFile,
        tlsPrivateKeyFile: opts.server.tlsPrivateKeyFile,
        certNames: [nodeIP],
        certDir: join(rootDir, 'pki'),
        clientCaFile: opts.server.clientCaFile,
        clientCaPem: opts.server.clientCaFile ? undefined : opts.api.connection.ca,
      });
      log.info({ address: server.address, port: server.port }, 'kubelet API serving');
    }
    const pressure = new NodePressure({
      rootDir,
      cri,
      log,
      thresholds: opts.evictionHard,
    });
    const registration = new NodeRegistration({
      api: opts.api,
      cri,
      log,
      nodeName: opts.nodeName,
      nodeIP,
      host,
      network,
      kubeletPort: server?.port,
      pressure,
      events,
    });
    const syncNode = () =>
      registration.sync().catch((e) => log.warn({ err: e }, 'node status update failed'));
    const lease = new NodeLease(opts.api, opts.nodeName);
    const probes = createProbeHost({
      cri,
      log,
      onChange: (uid) => pods.kick(uid),
      now: Date.now,
      signal: opts.signal,
      events,
    });
    const inputs = createContainerInputs({
      api: opts.api,
      log,
      rootDir,
      nodeName: opts.nodeName,
      nodeIP,
      recorder: events,
      clusterDomain: dns.clusterDomain,
    });
    const pods: PodManager = new PodManager({
      api: opts.api,
      cri,
      log,
      nodeName: opts.nodeName,
      nodeIP,
      runtimeName: version?.runtimeName || 'containerd',
      cgroups:
        opts.cgroupDriver === 'systemd'
          ? systemdLayout(opts.cgroupRoot ?? defaultRootSlice(opts.nodeName))
          : cgroupfsLayout(opts.cgroupRoot ?? `/skiff-${opts.nodeName}`),
      podLogsDir,
      now: Date.now,
      inputs,
      probes,
      dns,
      network,
      manifestDir: opts.manifestDir,
      events,
      sandboxStarts: new Semaphore(opts.parallelSandboxStarts ?? DEFAULT_PARALLEL_SANDBOX_STARTS),
      pulls: new Semaphore(opts.maxParallelImagePulls ?? DEFAULT_PARALLEL_PULLS),
    });
    const gc = new GarbageCollector({
      cri,
      log,
      podLogsDir,
      isPodKnown: (uid) => pods.isKnown(uid),
      imagePolicy: {
        ...(opts.imageGcHighThresholdPercent === undefined
          ? {}
          : { highThresholdPercent: opts.imageGcHighThresholdPercent }),
        ...(opts.imageGcLowThresholdPercent === undefined
          ? {}
          : { lowThresholdPercent: opts.imageGcLowThresholdPercent }),
      },
      sourcesReady: () => pods.sourcesReady(),
    });
    log.info({ nodeIP, cri: opts.criEndpoint, runtime: version?.runtimeVersion }, 'kubelet starting');
    const networkDone = network.run(opts.signal);
    networkDone.catch(() => undefined); // awaited below; no unhandled rejection meanwhile
    // After a restart, the Node already has its pod CIDR: see it before the first status write.
    await network.waitForNode(opts.signal, NETWORK_WAIT_MS);
    await Promise.all([
      every(opts.nodeStatusCheckMs ?? NODE_STATUS_CHECK_MS, opts.signal, syncNode),
      every(NODE_LEASE_RENEW_MS, opts.signal, async () => {
        await lease.renew().catch((e) => log.warn({ err: e }, 'node lease renewal failed'));
      }),
      pods.run(opts.signal),
      gc.run(opts.signal),
      new LogRotation({
        cri,
        log,
        maxSizeBytes: opts.containerLogMaxSizeBytes,
        maxFiles: opts.containerLogMaxFiles,
      }).run(opts.signal),
      networkDone,
    ]);
  } finally {
    await server?.close();
    await events.close();
    cri.close();
  }
}
