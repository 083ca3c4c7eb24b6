/**
 * Controller-manager benchmark: a Deployment of 1,000 replicas on hollow nodes (Node objects
 * whose Leases the bench renews; pods are never run). Times Deployment create -> all pods created
 * beside creating the same pods directly through the API in the same run, then a rolling update
 * (new template until the new ReplicaSet has every replica available and the old one none), with
 * the bench playing the hollow kubelet that marks pods Ready through pods/status. The
 * controller-manager runs as its own process on the built code, so its RSS is its own.
 *
 * Knobs: BENCH_REPLICAS, BENCH_NODES; BENCH_CM_NODE_ARGS adds Node flags to the
 * controller-manager (e.g. `--cpu-prof --cpu-prof-dir=DIR`).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { RESOURCES } from '../api/resources.js';
import { Informer } from '../client/informer.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ApiClient } from '../client/rest-client.js';
import { REPO_ROOT, startSkiffServer, type TestServer } from '../test/support/skiff-server.js';
import { type BenchRow, percentile, printAndWrite, round, rssMiB } from './stats.js';

const REPLICAS = Number(process.env.BENCH_REPLICAS ?? 1000);
const NODES_N = Number(process.env.BENCH_NODES ?? 100);
const CONCURRENCY = 64;
/** In-flight creates of the raw runs; 256 is the ReplicaSet controller's largest slow-start batch below 500. */
const RAW_CONCURRENCIES = [64, 256];
/** The API client settings `skiff server` gives its in-process controller-manager. */
const CM_QPS = 500;
const CM_BURST = 1000;
/** Idle time after the rollout before the steady-state RSS is read. */
const SETTLE_MS = 10_000;

const res = (plural: string, group = '') => {
  const def = RESOURCES.find((r) => r.plural === plural && r.group === group);
  if (!def) throw new Error(`no resource ${plural}`);
  return def;
};
const PODS = res('pods');
const NODES = res('nodes');
const LEASES = res('leases', 'coordination.k8s.io');
const NAMESPACES = res('namespaces');
const DEPLOYMENTS = res('deployments', 'apps');
const REPLICA_SETS = res('replicasets', 'apps');

type PodObject = Pod & KubeObject;
type RSObject = ReplicaSet & KubeObject;
type DeploymentObject = Deployment & KubeObject;

const progress = (msg: string) => process.stderr.write(`bench controllers: ${msg}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const seconds = (t0: number) => (performance.now() - t0) / 1000;
const stamp = () => `${new Date().toISOString().slice(0, 19)}Z`;

function hollowNode(i: number): Node {
  const alloc = { cpu: '4', memory: '32Gi', pods: '110' };
  const t = stamp();
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `hollow-${i}`,
      labels: { 'kubernetes.io/hostname': `hollow-${i}`, 'topology.kubernetes.io/zone': `zone-${i % 3}` },
    },
    status: {
      allocatable: alloc,
      capacity: alloc,
      conditions: [{ type: 'Ready', status: 'True', lastHeartbeatTime: t, lastTransitionTime: t }],
    },
  };
}

function podSpec(image: string): Pod['spec'] {
  return {
    terminationGracePeriodSeconds: 30,
    containers: [{ name: 'app', image, resources: { requests: { cpu: '10m', memory: '16Mi' } } }],
  };
}

function deployment(): DeploymentObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'big', namespace: 'bench' },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: 'big' } },
      template: { metadata: { labels: { app: 'big' } }, spec: podSpec('busybox:1') },
    },
  } as DeploymentObject;
}

async function parallel(
  n: number,
  fn: (i: number) => Promise<unknown>,
  concurrency = CONCURRENCY,
): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return seconds(t0);
}

function readyStatus(pod: PodObject, ip: string): PodObject {
  const t = stamp();
  return {
    ...pod,
    status: {
      phase: 'Running',
      podIP: ip,
      podIPs: [{ ip }],
      startTime: t,
      conditions: [
        { type: 'Initialized', status: 'True', lastTransitionTime: t },
        { type: 'ContainersReady', status: 'True', lastTransitionTime: t },
        { type: 'Ready', status: 'True', lastTransitionTime: t },
        { type: 'PodScheduled', status: 'True', lastTransitionTime: t },
      ],
    },
  } as PodObject;
}

const isReady = (p: Pod) =>
  (p.status?.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True');

/** Marks pods Running and Ready through pods/status, a bounded number at a time, as hollow kubelets would. */
class HollowKubelet {
  private readonly pending: PodObject[] = [];
  private inFlight = 0;
  private seq = 0;
  enabled = false;

  constructor(private readonly api: ApiClient) {}

  offer(pod: PodObject): void {
    if (!this.enabled || isReady(pod) || pod.metadata.deletionTimestamp) return;
    this.pending.push(pod);
    this.pump();
  }

  private pump(): void {
    while (this.inFlight < CONCURRENCY && this.pending.length > 0) {
      const pod = this.pending.shift() as PodObject;
      this.inFlight++;
      const n = this.seq++;
      const ip = `10.244.${(n >> 8) & 255}.${n & 255}`;
      this.api
        .updateStatus(PODS, readyStatus(pod, ip))
        .catch((e) => {
          if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict'))
            progress(`hollow kubelet: status write failed: ${String(e)}`);
        })
        .finally(() => {
          this.inFlight--;
          this.pump();
        });
    }
  }
}

/**
 * The controller-manager as its own process: the real `skiff controller-manager` command (so the
 * Node settings bin/skiff gives it), with the API client limits `skiff server` gives its
 * in-process one.
 */
function spawnControllerManager(kubeconfig: string): ChildProcess {
  return spawn(
    join(REPO_ROOT, 'bin/skiff'),
    [
      'controller-manager',
      `--kubeconfig=${kubeconfig}`,
      `--kube-api-qps=${CM_QPS}`,
      `--kube-api-burst=${CM_BURST}`,
    ],
    {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'inherit', 'inherit'],
      // e.g. BENCH_CM_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" to profile the controllers
      env: {
        ...process.env,
        SKIFF_LOG_LEVEL: 'warn',
        SKIFF_NODE_FLAGS: process.env.BENCH_CM_NODE_ARGS ?? '',
      },
    },
  );
}

/** The Node flags bin/skiff runs a component with. */
function componentNodeFlags(component: string): string[] {
  const out = execFileSync(join(REPO_ROOT, 'bin/skiff'), [component], {
    env: { ...process.env, SKIFF_PRINT_NODE_FLAGS: '1' },
  });
  return out.toString().trim().split(/\s+/).filter(Boolean);
}

/** CPU seconds (user + system) a process and its children have used so far, from /proc. */
function cpuSeconds(pid: number): number {
  let ticks = 0;
  const visit = (p: number) => {
    try {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      ticks += Number(fields[11]) + Number(fields[12]);
      for (const child of readFileSync(`/proc/${p}/task/${p}/children`, 'utf8')
        .trim()
        .split(/\s+/)
        .filter(Boolean))
        visit(Number(child));
    } catch {
      // gone
    }
  };
  visit(pid);
  return ticks / 100;
}

/** API requests by verb and resource from the server's /metrics, to show what the controllers spent. */
async function requestCounts(server: TestServer): Promise<Map<string, number>> {
  const text = (await server.fetch('GET', '/metrics')).text;
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^skiff_apiserver_requests_total\{([^}]*)\} (\d+)/gm)) {
    const labels = Object.fromEntries(
      [...(m[1] ?? '').matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]),
    );
    const key = `${labels.verb} ${labels.resource}`;
    counts.set(key, (counts.get(key) ?? 0) + Number(m[2]));
  }
  return counts;
}

function reportRequests(phase: string, before: Map<string, number>, after: Map<string, number>): void {
  const delta = [...after]
    .map(([k, v]) => [k, v - (before.get(k) ?? 0)] as const)
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1]);
  progress(`  API requests during ${phase}: ${delta.map(([k, v]) => `${k}=${v}`).join(', ')}`);
}

/** RSS of a process that has only loaded the controller-manager's modules: the floor under any cache. */
async function moduleFloorMiB(): Promise<number> {
  const script = `
    await import(${JSON.stringify(join(REPO_ROOT, 'dist/control-plane/controllers/controller-manager.js'))});
    await import(${JSON.stringify(join(REPO_ROOT, 'dist/client/index.js'))});
    await import('pino');
    setTimeout(() => {}, 60_000);
  `;
  const child = spawn(
    'bash',
    [
      join(REPO_ROOT, 'scripts/node.sh'),
      ...componentNodeFlags('controller-manager'),
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: REPO_ROOT, stdio: 'ignore' },
  );
  await sleep(2000);
  const rss = rssMiB(child.pid ?? 0);
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
  return rss;
}

/** Set when the controller-manager process ends early: waiting on it further is pointless. */
let childFailure: string | undefined;

async function waitFor(what: string, check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!check()) {
    if (childFailure) throw new Error(`${childFailure} while waiting for ${what}`);
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function main(): Promise<void> {
  progress('starting skiff server (API only)');
  const server: TestServer = await startSkiffServer();
  const api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'bench', qps: 0 });
  const rows: BenchRow[] = [];
  const stop = new AbortController();
  let cm: ChildProcess | undefined;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  try {
    await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'bench' } });
    progress(`creating ${NODES_N} hollow nodes with Leases`);
    await parallel(NODES_N, async (i) => {
      await api.create(NODES, hollowNode(i));
      await api.create(
        LEASES,
        {
          metadata: { name: `hollow-${i}` },
          spec: {
            holderIdentity: `hollow-${i}`,
            leaseDurationSeconds: 40,
            renewTime: new Date().toISOString(),
          },
        } as KubeObject,
        { namespace: 'kube-node-lease' },
      );
    });
    // Every hollow kubelet renews its Lease every 10 s, as the real one does; spread evenly over
    // the period, so that every phase measured sees the same background load.
    let nextLease = 0;
    heartbeat = setInterval(() => {
      const name = `hollow-${nextLease++ % NODES_N}`;
      void api
        .get(LEASES, name, { namespace: 'kube-node-lease' })
        .then((lease) =>
          api.update(LEASES, {
            ...lease,
            spec: { ...(lease.spec as object), renewTime: new Date().toISOString() },
          }),
        )
        .catch(() => {});
    }, 10_000 / NODES_N);

    // The bench's view of the cluster: the same two pod watches are open while the raw pods and
    // the Deployment's pods are created, and both are timed until the watch has seen every pod.
    const kubelet = new HollowKubelet(api);
    const pods = new Informer<PodObject>(api, PODS, {
      namespace: 'bench',
      labelSelector: 'app=big',
      freeze: false,
    });
    const addedAt: number[] = [];
    pods.addEventHandler({
      onAdd: (p) => {
        addedAt.push(performance.now());
        kubelet.offer(p);
      },
      onUpdate: (_o, p) => kubelet.offer(p),
    });
    const rawPods = new Informer<PodObject>(api, PODS, {
      namespace: 'bench',
      labelSelector: 'app=raw',
      freeze: false,
    });
    const sets = new Informer<RSObject>(api, REPLICA_SETS, { namespace: 'bench', freeze: false });
    const deps = new Informer<DeploymentObject>(api, DEPLOYMENTS, { namespace: 'bench', freeze: false });
    for (const inf of [pods, rawPods, sets, deps]) void inf.start(stop.signal);
    await Promise.all([pods.waitForSync(), rawPods.waitForSync(), sets.waitForSync(), deps.waitForSync()]);

    // Raw: the same pods written straight to the API (create, status, delete), no controllers running.
    progress(`raw: ${REPLICAS} pods created, marked ready and deleted through the API`);
    const rawPod = (i: number): PodObject =>
      ({
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `raw-${i}`, namespace: 'bench', labels: { app: 'raw' } },
        spec: podSpec('busybox:1'),
      }) as PodObject;
    // One at a time: the latency every slow-start batch of the ReplicaSet controller waits for.
    const single: number[] = [];
    for (let i = 0; i < 20; i++) {
      const t = performance.now();
      await api.create(
        PODS,
        { ...rawPod(i), metadata: { ...rawPod(i).metadata, name: `single-${i}` } },
        { namespace: 'bench' },
      );
      single.push(performance.now() - t);
      await api.delete(PODS, `single-${i}`, { namespace: 'bench' });
    }
    await waitFor('single pods gone', () => rawPods.store.size === 0, 60_000);

    // Created at two concurrencies (64 in flight, and as many as the ReplicaSet controller's
    // largest slow-start batch): the faster is the raw cost, so the comparison is the strict one.
    const created: PodObject[] = [];
    const rawCreates: number[] = [];
    for (const inFlight of RAW_CONCURRENCIES) {
      const t = performance.now();
      const cpu0 = cpuSeconds(server.process.pid ?? 0);
      await parallel(
        REPLICAS,
        async (i) => {
          created[i] = await api.create(PODS, rawPod(i), { namespace: 'bench' });
        },
        inFlight,
      );
      await waitFor('raw pods seen', () => rawPods.store.size >= REPLICAS, 60_000);
      rawCreates.push(seconds(t));
      progress(
        `  raw create at ${inFlight} in flight: API server + etcd CPU ${(cpuSeconds(server.process.pid ?? 0) - cpu0).toFixed(2)} s`,
      );
      if (inFlight === RAW_CONCURRENCIES[RAW_CONCURRENCIES.length - 1]) break;
      await parallel(REPLICAS, (i) => api.delete(PODS, `raw-${i}`, { namespace: 'bench' }));
      await waitFor('raw pods gone', () => rawPods.store.size === 0, 60_000);
    }
    const rawCreate = Math.min(...rawCreates);
    const serverPid = server.process.pid ?? 0;
    const rawStatus = await parallel(REPLICAS, (i) =>
      api.updateStatus(PODS, readyStatus(created[i] as PodObject, `10.0.${i >> 8}.${i & 255}`)),
    );
    const rawDelete = await parallel(REPLICAS, (i) => api.delete(PODS, `raw-${i}`, { namespace: 'bench' }));
    await waitFor('raw pods gone', () => rawPods.store.size === 0, 60_000);

    progress('starting the controller-manager');
    cm = spawnControllerManager(server.kubeconfig);
    cm.once('exit', (code, signal) => {
      childFailure = `the controller-manager exited (${code ?? signal})`;
    });
    const cmPid = cm.pid ?? 0;
    let peakRss = 0;
    const sampler = setInterval(() => {
      peakRss = Math.max(peakRss, rssMiB(cmPid));
    }, 200);
    // Settled: node IPAM has given every node its podCIDR.
    const nodesInformer = new Informer<Node & KubeObject>(api, NODES, { freeze: false });
    void nodesInformer.start(stop.signal);
    await nodesInformer.waitForSync();
    await waitFor('node podCIDRs', () => nodesInformer.store.list().every((n) => !!n.spec?.podCIDR), 60_000);
    await sleep(2000);
    const idleRss = rssMiB(cmPid);

    progress(`deployment of ${REPLICAS}: create -> all pods created`);
    let before = await requestCounts(server);
    const cpuBefore = { server: cpuSeconds(serverPid), cm: cpuSeconds(cmPid) };
    let t0 = performance.now();
    await api.create(DEPLOYMENTS, deployment(), { namespace: 'bench' });
    await waitFor('all pods created', () => pods.store.size >= REPLICAS, 300_000);
    const createSeconds = seconds(t0);
    const at = (n: number) => ((addedAt[n - 1] ?? Number.NaN) - t0).toFixed(0);
    progress(
      `  pods seen at (ms after the Deployment POST): 1st ${at(1)}, 100th ${at(100)}, 500th ${at(500)}, 501st ${at(501)}, 600th ${at(600)}, ${REPLICAS}th ${at(REPLICAS)}`,
    );
    progress(
      `  CPU during create: API server + etcd ${(cpuSeconds(serverPid) - cpuBefore.server).toFixed(2)} s, controller-manager ${(cpuSeconds(cmPid) - cpuBefore.cm).toFixed(2)} s`,
    );
    reportRequests('create', before, await requestCounts(server));

    progress('hollow kubelet marks the pods ready');
    t0 = performance.now();
    kubelet.enabled = true;
    for (const p of pods.store.list()) kubelet.offer(p);
    const available = (name: string) => {
      const d = deps.store.get(`bench/${name}`);
      return (
        d?.status?.observedGeneration === d?.metadata.generation &&
        d?.status?.availableReplicas === REPLICAS &&
        d?.status?.updatedReplicas === REPLICAS &&
        d?.status?.replicas === REPLICAS
      );
    };
    await waitFor('deployment available', () => available('big'), 300_000);
    const availableSeconds = seconds(t0);

    progress('rolling update');
    const firstSet = sets.store.list()[0];
    before = await requestCounts(server);
    t0 = performance.now();
    await api.patch(
      DEPLOYMENTS,
      'big',
      { spec: { template: { spec: { containers: [{ name: 'app', image: 'busybox:2' }] } } } },
      'strategic',
      { namespace: 'bench' },
    );
    await waitFor(
      'rollout complete',
      () => {
        const old = sets.store.get(keyOfSet(firstSet));
        const oldPods = pods.store.list().filter((p) => p.spec?.containers[0]?.image === 'busybox:1').length;
        const fresh = sets.store.list().find((s) => s.metadata.uid !== firstSet?.metadata.uid);
        return (
          available('big') &&
          old?.spec?.replicas === 0 &&
          oldPods === 0 &&
          fresh?.status?.readyReplicas === REPLICAS &&
          pods.store.size === REPLICAS
        );
      },
      600_000,
    );
    const rolloutSeconds = seconds(t0);
    reportRequests('rollout', before, await requestCounts(server));
    const afterRss = rssMiB(cmPid);
    peakRss = Math.max(peakRss, afterRss);
    // Steady state with the cache full: what the process holds once its garbage is collected.
    progress(`letting the controller-manager settle for ${SETTLE_MS / 1000} s`);
    await sleep(SETTLE_MS);
    const settledRss = rssMiB(cmPid);
    clearInterval(sampler);

    const rawRollout = rawCreate + rawStatus + rawDelete;
    const floorRss = await moduleFloorMiB();
    rows.push(
      {
        metric: `deployment of ${REPLICAS}: create -> all pods created`,
        unit: 's',
        value: round(createSeconds, 2),
        raw: round(rawCreate, 2),
        ratio: round(createSeconds / rawCreate, 2),
        target: '<= 1.25x raw',
        met: createSeconds <= rawCreate * 1.25,
      },
      {
        metric: `deployment of ${REPLICAS}: pods marked ready -> deployment available`,
        unit: 's',
        value: round(availableSeconds, 2),
        raw: round(rawStatus, 2),
        ratio: round(availableSeconds / rawStatus, 2),
      },
      {
        metric: `rolling update of ${REPLICAS} (25% surge/unavailable), hollow kubelet marking ready`,
        unit: 's',
        value: round(rolloutSeconds, 2),
        raw: round(rawRollout, 2),
        ratio: round(rolloutSeconds / rawRollout, 2),
      },
      {
        metric: 'raw: one pod create alone, latency p50',
        unit: 'ms',
        value: round(percentile(single, 50), 1),
      },
      ...RAW_CONCURRENCIES.map((inFlight, i) => ({
        metric: `raw: create ${REPLICAS} pods (${inFlight} in flight) -> all seen by a watch`,
        unit: 's',
        value: round(rawCreates[i] ?? Number.NaN, 2),
      })),
      { metric: `raw: ${REPLICAS} pod status writes`, unit: 's', value: round(rawStatus, 2) },
      { metric: `raw: delete ${REPLICAS} pods`, unit: 's', value: round(rawDelete, 2) },
      {
        metric: 'controller-manager modules loaded, nothing started (floor)',
        unit: 'MiB',
        value: round(floorRss, 1),
      },
      { metric: `controller-manager RSS idle, ${NODES_N} nodes`, unit: 'MiB', value: round(idleRss, 1) },
      {
        metric: `controller-manager RSS as the rollout ends (${REPLICAS} pods cached)`,
        unit: 'MiB',
        value: round(afterRss, 1),
      },
      {
        metric: `controller-manager RSS ${SETTLE_MS / 1000} s after the rollout (${REPLICAS} pods cached)`,
        unit: 'MiB',
        value: round(settledRss, 1),
        target: '<= 80',
        met: settledRss <= 80,
      },
      { metric: 'controller-manager RSS peak', unit: 'MiB', value: round(peakRss, 1) },
    );
  } finally {
    stop.abort();
    if (heartbeat) clearInterval(heartbeat);
    if (cm && cm.exitCode === null) {
      const exited = new Promise((r) => cm?.once('exit', r));
      cm.kill('SIGTERM');
      await exited;
    }
    await api.close();
    await server.stop();
  }
  printAndWrite('controllers', rows);
}

function keyOfSet(rs: RSObject | undefined): string {
  return `${rs?.metadata.namespace}/${rs?.metadata.name}`;
}

await main();
