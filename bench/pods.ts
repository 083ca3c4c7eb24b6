/**
 * Pod start benchmark on one node: the same pod started by raw CRI calls through shim/ and by
 * the kubelet (API create -> Running), p50/p99 over sequential pods, then 100 pods created at
 * once, with the kubelet (its own process, `skiff kubelet`) RSS and CPU at 0 and 100 pods.
 * containerd, its shims and the pods are not counted in the kubelet's figures.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ApiClient, type ResourceRef } from '../client/rest-client.js';
import { CriClient, type PodSandboxConfig } from '../shim/index.js';
import { BUSYBOX_IMAGE, buildBusyboxImage } from '../test/support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../test/support/containerd.js';
import { SKIFF_BIN, startSkiffServer, type TestServer } from '../test/support/skiff-server.js';
import { type BenchRow, percentile, printAndWrite, round, rssMiB } from './stats.js';

const SEQUENTIAL_N = Number(process.env.BENCH_PODS_SEQUENTIAL ?? 30);
const BURST_N = Number(process.env.BENCH_PODS_BURST ?? 100);
const RAW_CONCURRENCY = Number(process.env.BENCH_PODS_RAW_CONCURRENCY ?? 4);
const NODE = 'bench-pods-node';
const POD_CIDR = '10.251.0.0/24';
const BRIDGE = 'skiffbench0';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };

const progress = (msg: string) => process.stderr.write(`bench pods: ${msg}\n`);

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** RssAnon (the process's own memory) apart from RssFile (mapped files: the node binary's code). */
function rssParts(pid: number): { anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`${key}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0);
  return { anon: kib('RssAnon') / 1024, file: (kib('RssFile') + kib('RssShmem')) / 1024 };
}

function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  // utime and stime are fields 14 and 15 of /proc/pid/stat (11 and 12 after the command).
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

function benchPod(name: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: 'bench-pods' } },
    spec: {
      nodeName: NODE,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '3600'] }],
    },
  };
}

const isRunning = (p: Pod | undefined) =>
  p?.status?.phase === 'Running' && p.status.containerStatuses?.every((c) => c.state?.running) === true;

/** The same sandbox and container as the kubelet makes, through raw CRI calls. */
async function rawStart(
  cri: CriClient,
  ctrd: TestContainerd,
  i: number,
): Promise<{ ms: number; id: string }> {
  const uid = `raw-${i}-${process.pid}`;
  const config: PodSandboxConfig = {
    metadata: { name: `raw-${i}`, namespace: 'default', uid, attempt: 0 },
    hostname: `raw-${i}`,
    logDirectory: join(ctrd.root, 'raw-logs', uid),
    // Not the kubelet's pod-uid label: its orphan scan would remove these sandboxes.
    labels: { 'bench.skiff.io/raw': uid },
    annotations: {},
    linux: {
      cgroupParent: `${ctrd.cgroupRoot}/pod${uid}`,
      securityContext: { namespaceOptions: { network: 'POD', pid: 'CONTAINER', ipc: 'POD' } },
    },
  };
  const t0 = performance.now();
  const id = await cri.runtime.runPodSandbox({ config });
  const cid = await cri.runtime.createContainer({
    podSandboxId: id,
    config: {
      metadata: { name: 'c', attempt: 0 },
      image: { image: BUSYBOX_IMAGE },
      command: ['sleep', '3600'],
      logPath: 'c/0.log',
    },
    sandboxConfig: config,
  });
  await cri.runtime.startContainer(cid);
  return { ms: performance.now() - t0, id };
}

function spawnKubelet(server: TestServer, ctrd: TestContainerd, dir: string): ChildProcess {
  const child = spawn(
    SKIFF_BIN,
    [
      'kubelet',
      `--kubeconfig=${server.kubeconfig}`,
      `--node-name=${NODE}`,
      '--node-ip=127.0.0.1',
      `--container-runtime-endpoint=${ctrd.endpoint}`,
      '--manage-containerd=never',
      `--cgroup-root=${ctrd.cgroupRoot}`,
      `--root-dir=${join(dir, 'kubelet')}`,
      `--pod-logs-dir=${join(dir, 'logs')}`,
      `--cni-conf-dir=${ctrd.cniConfDir}`,
      `--cni-bridge=${BRIDGE}`,
      `--cni-ipam-data-dir=${join(dir, 'ipam')}`,
      `--pod-cidr=${POD_CIDR}`,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' } },
  );
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(`kubelet: ${d}`));
  return child;
}

async function deleteAll(api: ApiClient, names: string[]): Promise<void> {
  await Promise.all(names.map((n) => api.delete(PODS, n, { namespace: 'default' }).catch(() => undefined)));
  await until('pods deleted', async () => {
    const left = await api.list<Pod>(PODS, { namespace: 'default' });
    return left.items.length === 0 ? true : undefined;
  });
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'skiff-bench-pods-'));
  progress('starting API server and containerd');
  const [server, ctrd] = await Promise.all([
    startSkiffServer([]),
    startTestContainerd({ loopbackConflist: false }),
  ]);
  let kubelet: ChildProcess | undefined;
  const api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), {
    component: 'bench-pods',
    qps: 500,
    burst: 1000,
  });
  const cri = new CriClient({ endpoint: ctrd.endpoint });
  const rows: BenchRow[] = [];
  try {
    await ctrd.importImage(
      await buildBusyboxImage({ name: BUSYBOX_IMAGE, outDir: ctrd.root }),
      BUSYBOX_IMAGE,
    );
    kubelet = spawnKubelet(server, ctrd, dir);
    const pid = kubelet.pid as number;
    await until('node Ready', async () => {
      const n = await api.get<Node>(NODES, NODE);
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    });
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = rssMiB(pid, false);
    const idleParts = rssParts(pid);

    progress(`raw CRI: ${SEQUENTIAL_N} pods one after another`);
    const raw: number[] = [];
    const rawIds: string[] = [];
    for (let i = 0; i < SEQUENTIAL_N; i++) {
      const r = await rawStart(cri, ctrd, i);
      raw.push(r.ms);
      rawIds.push(r.id);
    }
    for (const id of rawIds) {
      await cri.runtime.stopPodSandbox(id);
      await cri.runtime.removePodSandbox(id);
    }

    progress(`raw CRI: ${BURST_N} pods at once`);
    const rawBurstT0 = performance.now();
    // As many at once as the kubelet lets start (unbounded, containerd misses its deadlines).
    const rawBurst: { id: string }[] = [];
    let nextRaw = 0;
    await Promise.all(
      Array.from({ length: RAW_CONCURRENCY }, async () => {
        while (nextRaw < BURST_N) rawBurst.push(await rawStart(cri, ctrd, SEQUENTIAL_N + nextRaw++));
      }),
    );
    const rawBurstS = (performance.now() - rawBurstT0) / 1000;
    for (const r of rawBurst) {
      await cri.runtime.stopPodSandbox(r.id);
      await cri.runtime.removePodSandbox(r.id);
    }

    progress(`kubelet: ${SEQUENTIAL_N} pods one after another (API create -> Running)`);
    const viaKubelet: number[] = [];
    const seqNames: string[] = [];
    for (let i = 0; i < SEQUENTIAL_N; i++) {
      const name = `seq-${i}`;
      seqNames.push(name);
      const t0 = performance.now();
      await api.create(PODS, benchPod(name), { namespace: 'default' });
      await until(`${name} Running`, async () =>
        isRunning(await api.get<Pod>(PODS, name, { namespace: 'default' })) ? true : undefined,
      );
      viaKubelet.push(performance.now() - t0);
    }
    progress('deleting them');
    await deleteAll(api, seqNames);

    progress(`kubelet: ${BURST_N} pods at once`);
    const cpu0 = cpuSeconds(pid);
    const burstNames = Array.from({ length: BURST_N }, (_, i) => `burst-${i}`);
    const t0 = performance.now();
    await Promise.all(burstNames.map((n) => api.create(PODS, benchPod(n), { namespace: 'default' })));
    let lastReport = 0;
    await until(
      'all burst pods Running',
      async () => {
        const list = await api.list<Pod>(PODS, { namespace: 'default' });
        const running = list.items.filter(isRunning).length;
        if (running - lastReport >= 20) {
          lastReport = running;
          progress(`${running}/${BURST_N} Running`);
        }
        return running === BURST_N ? true : undefined;
      },
      300_000,
    );
    const burstS = (performance.now() - t0) / 1000;
    const burstCpu = cpuSeconds(pid) - cpu0;
    await new Promise((r) => setTimeout(r, 2000));
    const busyRss = rssMiB(pid, false);
    const busyParts = rssParts(pid);
    const steadyCpu0 = cpuSeconds(pid);
    await new Promise((r) => setTimeout(r, 10_000));
    const steadyCpuPct = ((cpuSeconds(pid) - steadyCpu0) / 10) * 100;
    progress('deleting them');
    await deleteAll(api, burstNames);

    const rawP50 = percentile(raw, 50);
    const rawP99 = percentile(raw, 99);
    const kP50 = percentile(viaKubelet, 50);
    const kP99 = percentile(viaKubelet, 99);
    rows.push(
      {
        metric: 'pod start p50 (kubelet: API create -> Running)',
        unit: 'ms',
        value: round(kP50, 0),
        raw: round(rawP50, 0),
        ratio: round(kP50 / rawP50),
      },
      {
        metric: 'pod start p99 (kubelet: API create -> Running)',
        unit: 'ms',
        value: round(kP99, 0),
        raw: round(rawP99, 0),
        ratio: round(kP99 / rawP99),
        target: '<= 1500',
        met: kP99 <= 1500,
      },
      {
        metric: 'kubelet overhead over raw CRI, p99',
        unit: 'ms',
        value: round(kP99 - rawP99, 0),
        target: '<= 200',
        met: kP99 - rawP99 <= 200,
      },
      {
        metric: `${BURST_N} pods create -> all Running`,
        unit: 's',
        value: round(burstS, 1),
        raw: round(rawBurstS, 1),
        ratio: round(burstS / rawBurstS),
        target: '<= 20',
        met: burstS <= 20,
      },
      { metric: `kubelet CPU during the ${BURST_N}-pod burst`, unit: 's', value: round(burstCpu, 2) },
      { metric: `kubelet CPU at ${BURST_N} pods, steady`, unit: '%', value: round(steadyCpuPct, 1) },
      {
        metric: 'kubelet RSS at 0 pods',
        unit: 'MiB',
        value: round(idleRss, 1),
        target: '<= 80',
        met: idleRss <= 80,
      },
      {
        metric: `kubelet RSS at ${BURST_N} pods`,
        unit: 'MiB',
        value: round(busyRss, 1),
        target: '<= 150',
        met: busyRss <= 150,
      },
      {
        metric: 'kubelet RssAnon (raw: RssFile) at 0 pods',
        unit: 'MiB',
        value: round(idleParts.anon, 1),
        raw: round(idleParts.file, 1),
      },
      {
        metric: `kubelet RssAnon (raw: RssFile) at ${BURST_N} pods`,
        unit: 'MiB',
        value: round(busyParts.anon, 1),
        raw: round(busyParts.file, 1),
      },
    );
  } finally {
    if (kubelet && kubelet.exitCode === null) {
      kubelet.kill('SIGTERM');
      await new Promise((r) => kubelet?.once('exit', r));
    }
    cri.close();
    await api.close();
    await Promise.all([ctrd.stop(), server.stop()]);
    await rm(dir, { recursive: true, force: true });
    await new Promise((r) => execFile('ip', ['link', 'del', BRIDGE], () => r(undefined)));
  }
  printAndWrite('pods', rows);
}

await main();
