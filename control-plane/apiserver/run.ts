import { mkdir } from 'node:fs/promises';
import { hostname, networkInterfaces } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { collectDefaultMetrics, register } from 'prom-client';
import { Compactor } from '../storage/compactor.js';
import { EmbeddedEtcd } from '../storage/embedded-etcd.js';
import { EtcdStore } from '../storage/etcd-store.js';
import { ApiServer } from './api-server.js';
import { UnionAuthenticator } from './authn/authenticator.js';
import { X509Authenticator } from './authn/x509-authenticator.js';
import { bootstrapCluster } from './bootstrap.js';
import { writeKubeconfig } from './kubeconfig-file.js';
import { ensurePki, issueClientCertificate } from './pki.js';
import { firstServiceIp } from './registry/service-allocator.js';

export interface ApiServerRunOptions {
  dataDir: string;
  securePort: number;
  bindAddress: string;
  advertiseAddress?: string;
  etcdServers: string[];
  etcdCaFile?: string;
  etcdCertFile?: string;
  etcdKeyFile?: string;
  embeddedEtcdClientPort: number;
  embeddedEtcdPeerPort: number;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  compactionSchedule: string;
  /** Serve HTTP/2 beside HTTP/1.1 (default true). */
  http2?: boolean;
  http2MaxStreamsPerConnection?: number;
  log: Logger;
}

export interface RunningApiServer {
  kubeconfigPath: string;
  port: number;
  /** Writes DIR/<name>.kubeconfig with a client certificate for a control-plane component. */
  componentKubeconfig(name: string, user: string, groups: string[]): Promise<string>;
  stop(): Promise<void>;
}

/** Starts storage (embedded etcd unless --etcd-servers), the PKI, the HTTPS API and the bootstrap objects. */
export async function startApiServer(o: ApiServerRunOptions): Promise<RunningApiServer> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    return await start(o, cleanups);
  } catch (e) {
    for (const cleanup of cleanups.reverse()) await cleanup();
    throw e;
  }
}

async function start(
  o: ApiServerRunOptions,
  cleanups: (() => Promise<void> | void)[],
): Promise<RunningApiServer> {
  const log = o.log.child({ component: 'apiserver' });
  // Process metrics (RSS, heap, event-loop lag) on /metrics, once per process.
  if (!register.getSingleMetric('process_resident_memory_bytes')) collectDefaultMetrics();
  await mkdir(o.dataDir, { recursive: true, mode: 0o700 });
  let etcd: EmbeddedEtcd | undefined;
  let endpoints = o.etcdServers;
  if (endpoints.length === 0) {
    etcd = new EmbeddedEtcd({
      dataDir: join(o.dataDir, 'etcd'),
      clientPort: o.embeddedEtcdClientPort,
      peerPort: o.embeddedEtcdPeerPort,
      log: o.log.child({ component: 'etcd' }),
    });
    const started = etcd;
    cleanups.push(() => started.stop());
    endpoints = [await etcd.start()];
  }
  const store = new EtcdStore({
    endpoints,
    tls:
      o.etcdCaFile || o.etcdCertFile
        ? { caFile: o.etcdCaFile, certFile: o.etcdCertFile, keyFile: o.etcdKeyFile }
        : undefined,
    log: o.log.child({ component: 'storage' }),
  });
  cleanups.push(() => store.close());
  const compactor = new Compactor({
    endpoints,
    store,
    schedule: o.compactionSchedule,
    log: o.log.child({ component: 'compactor' }),
  });
  const kubernetesServiceIp = firstServiceIp(o.serviceClusterIpRange);
  const advertiseAddress = o.advertiseAddress || defaultAdvertiseAddress(o.bindAddress);
  const pki = await ensurePki(join(o.dataDir, 'tls'), {
    hostnames: [hostname(), 'localhost'],
    ips: [
      ...new Set([
        '127.0.0.1',
        kubernetesServiceIp,
        advertiseAddress,
        ...(o.bindAddress !== '0.0.0.0' ? [o.bindAddress] : []),
      ]),
    ],
  });
  const kubeletClient = await issueClientCertificate(
    pki,
    { commonName: 'kube-apiserver-kubelet-client', organizations: ['system:masters'] },
    365,
  );
  const api = new ApiServer({
    store,
    pki,
    kubeletClient,
    authenticator: new UnionAuthenticator([new X509Authenticator()]),
    bindAddress: o.bindAddress,
    securePort: o.securePort,
    serviceClusterIpRange: o.serviceClusterIpRange,
    serviceNodePortRange: o.serviceNodePortRange,
    http2: o.http2,
    http2MaxStreamsPerConnection: o.http2MaxStreamsPerConnection,
    log,
  });
  const addr = await api.listen();
  cleanups.push(() => api.close());
  await retryUntilReady(
    () => bootstrapCluster(api, { advertiseAddress, securePort: addr.port, kubernetesServiceIp, log }),
    log,
  );
  compactor.start();
  const serverHost = o.bindAddress === '0.0.0.0' || o.bindAddress === '::' ? '127.0.0.1' : o.bindAddress;
  const kubeconfigPath = join(o.dataDir, 'admin.kubeconfig');
  await writeKubeconfig(kubeconfigPath, {
    clusterName: 'skiff',
    server: `https://${serverHost.includes(':') ? `[${serverHost}]` : serverHost}:${addr.port}`,
    caPem: pki.caCertPem,
    user: 'admin',
    certPem: pki.adminCertPem,
    keyPem: pki.adminKeyPem,
  });
  log.info({ kubeconfig: kubeconfigPath }, 'admin kubeconfig written');
  const server = `https://${serverHost.includes(':') ? `[${serverHost}]` : serverHost}:${addr.port}`;
  return {
    kubeconfigPath,
    port: addr.port,
    async componentKubeconfig(name, user, groups) {
      const cert = await issueClientCertificate(pki, { commonName: user, organizations: groups }, 365);
      const path = join(o.dataDir, `${name}.kubeconfig`);
      await writeKubeconfig(path, {
        clusterName: 'skiff',
        server,
        caPem: pki.caCertPem,
        user,
        certPem: cert.certPem,
        keyPem: cert.keyPem,
      });
      return path;
    },
    async stop() {
      compactor.stop();
      await api.close();
      await store.close();
      await etcd?.stop();
    },
  };
}

function defaultAdvertiseAddress(bindAddress: string): string {
  if (bindAddress !== '0.0.0.0' && bindAddress !== '::') return bindAddress;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) {
      if (a.family === 'IPv4' && !a.internal) return a.address;
    }
  }
  return '127.0.0.1';
}

async function retryUntilReady(fn: () => Promise<void>, log: Logger): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      await fn();
      return;
    } catch (e) {
      if (attempt >= 30) throw e;
      log.warn({ err: e, attempt }, 'bootstrap failed, retrying');
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}
