import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { type KubeletOptions, startKubelet } from '../../agent/run.js';
import { loadKubeconfig } from '../../client/kubeconfig.js';
import { ApiClient } from '../../client/rest-client.js';
import { CriClient } from '../../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from './busybox-image.js';
import { startTestContainerd, type TestContainerd, type TestContainerdOptions } from './containerd.js';
import { startSkiffServer, type TestServer } from './skiff-server.js';

export interface KubeletHarnessOptions {
  /** Names the API client (`<name>-test`) and the temp dir (`skiff-<name>-`). */
  name: string;
  nodeName: string;
  nodeIP: string;
  /** Extra `skiff server` flags and options (default: none, as startSkiffServer). */
  serverArgs?: string[];
  server?: Parameters<typeof startSkiffServer>[1];
  containerd?: TestContainerdOptions;
  /** Import the test busybox image into containerd. Default true. */
  busybox?: boolean;
  /** Start the kubelet at once. Default true; otherwise call `startKubelet()`. */
  startKubelet?: boolean;
  /** More startKubelet options (they win over the harness's own), applied on every start. */
  kubelet?: (h: KubeletHarness) => Partial<KubeletOptions>;
}

/** A skiff server, a private containerd and a kubelet between them, all torn down by `close()`. */
export interface KubeletHarness {
  server: TestServer;
  ctrd: TestContainerd;
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  /** The temp dir holding everything below; removed by `close()`. */
  dir: string;
  /** The kubelet's podLogsDir (`<dir>/logs`) and rootDir (`<dir>/kubelet`). */
  logsDir: string;
  rootDir: string;
  /** The running kubelet, undefined while stopped. */
  kubelet: Promise<void> | undefined;
  startKubelet(): void;
  stopKubelet(): Promise<void>;
  /** Stops the kubelet, the clients, containerd and the server; runs `beforeRemove` before the dir goes. */
  close(beforeRemove?: () => Promise<void>): Promise<void>;
}

export async function startKubeletHarness(opts: KubeletHarnessOptions): Promise<KubeletHarness> {
  const dir = await mkdtemp(join(tmpdir(), `skiff-${opts.name}-`));
  const [srv, ctr] = await Promise.allSettled([
    startSkiffServer(opts.serverArgs ?? [], opts.server ?? {}),
    startTestContainerd(opts.containerd),
  ]);
  if (srv.status === 'rejected' || ctr.status === 'rejected') {
    await Promise.all([
      srv.status === 'fulfilled' ? srv.value.stop() : undefined,
      ctr.status === 'fulfilled' ? ctr.value.stop() : undefined,
    ]);
    await rm(dir, { recursive: true, force: true });
    throw srv.status === 'rejected' ? srv.reason : (ctr as PromiseRejectedResult).reason;
  }
  const server = srv.value;
  const ctrd = ctr.value;
  const logsDir = join(dir, 'logs');
  const rootDir = join(dir, 'kubelet');
  let stop = new AbortController();
  const h: KubeletHarness = {
    server,
    ctrd,
    api: new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: `${opts.name}-test` }),
    cri: new CriClient({ endpoint: ctrd.endpoint }),
    log: pino({ level: process.env.SKIFF_LOG_LEVEL ?? 'error' }),
    dir,
    logsDir,
    rootDir,
    kubelet: undefined,
    startKubelet() {
      stop = new AbortController();
      h.kubelet = startKubelet({
        api: h.api,
        log: h.log,
        signal: stop.signal,
        nodeName: opts.nodeName,
        nodeIP: opts.nodeIP,
        criEndpoint: ctrd.endpoint,
        cgroupRoot: ctrd.cgroupRoot,
        podLogsDir: logsDir,
        rootDir,
        ...opts.kubelet?.(h),
      });
    },
    async stopKubelet() {
      stop.abort();
      await h.kubelet?.catch(() => undefined);
      h.kubelet = undefined;
    },
    async close(beforeRemove) {
      await h.stopKubelet();
      h.cri.close();
      await h.api.close();
      await Promise.all([ctrd.stop(), server.stop()]);
      await beforeRemove?.();
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await Promise.all([mkdir(logsDir), mkdir(rootDir)]);
    if (opts.busybox ?? true)
      await ctrd.importImage(
        await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }),
        BUSYBOX_IMAGE,
      );
  } catch (e) {
    await h.close();
    throw e;
  }
  if (opts.startKubelet ?? true) h.startKubelet();
  return h;
}
