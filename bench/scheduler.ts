/**
 * Scheduler benchmark: hollow nodes (Node objects only, no kubelet) in 50 zones and two
 * workloads through the real API: SchedulingBasic-like pods, and pods with a zone topology
 * spread constraint (DoNotSchedule, maxSkew 1). For each: the scheduler's throughput on a
 * backlog of pods (a fresh scheduler process started on it) and the create-to-bound latency of
 * paced pods, beside the rate at which the same API takes plain bindings with no scheduling at
 * all, and the scheduler process's RSS. BENCH_WORKLOADS=basic,spread picks workloads.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { RESOURCES } from '../api/resources.js';
import { Informer } from '../client/informer.js';
import { loadKubeconfig } from '../client/kubeconfig.js';
import { ApiClient } from '../client/rest-client.js';
import { REPO_ROOT, startSkiffServer, type TestServer } from '../test/support/skiff-server.js';
import { type BenchRow, percentile, printAndWrite, round, rssMiB } from './stats.js';

const NODES_N = Number(process.env.BENCH_NODES ?? 5000);
const PODS_N = Number(process.env.BENCH_PODS ?? 10_000);
const PACED_N = Number(process.env.BENCH_PACED_PODS ?? 1000);
const PACED_RATE = Number(process.env.BENCH_PACED_RATE ?? 100);
const CONCURRENCY = 64;
const ZONES = 50;
const PROFILE_DIR = process.env.BENCH_SCHEDULER_PROFILE;
/** The scheduler's client-side rate limit (skiff scheduler's default --kube-api-qps is 500). */
const QPS = Number(process.env.BENCH_SCHEDULER_QPS ?? 500);
const WORKLOADS = (process.env.BENCH_WORKLOADS ?? 'basic,spread').split(',').filter(Boolean);

const PODS = RESOURCES.find((r) => r.plural === 'pods' && r.group === '')!;
const NODES = RESOURCES.find((r) => r.plural === 'nodes' && r.group === '')!;
const NAMESPACES = RESOURCES.find((r) => r.plural === 'namespaces')!;

const progress = (msg: string) => process.stderr.write(`bench scheduler: ${msg}\n`);

function hollowNode(i: number): Node {
  const alloc = { cpu: '4', memory: '32Gi', pods: '110', 'ephemeral-storage': '100Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: `hollow-${i}`,
      labels: {
        'kubernetes.io/hostname': `hollow-${i}`,
        'topology.kubernetes.io/zone': `zone-${i % ZONES}`,
      },
    },
    status: { allocatable: alloc, capacity: alloc, conditions: [{ type: 'Ready', status: 'True' }] },
  };
}

type Workload = 'basic' | 'spread';

/** SchedulingBasic's pod: one container with small requests; `spread` adds a zone spread constraint. */
function benchPod(name: string, ns: string, schedulerName?: string, workload: Workload = 'basic'): Pod {
  const app = workload === 'spread' ? 'spread' : 'bench';
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app } },
    spec: {
      schedulerName,
      topologySpreadConstraints:
        workload === 'spread'
          ? [
              {
                maxSkew: 1,
                topologyKey: 'topology.kubernetes.io/zone',
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { app } },
              },
            ]
          : undefined,
      containers: [
        {
          name: 'pause',
          image: 'registry.k8s.io/pause:3.10',
          resources: { requests: { cpu: '100m', memory: '500Mi' } },
        },
      ],
    },
  };
}

async function parallel(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < n) await fn(next++);
    }),
  );
  return (performance.now() - t0) / 1000;
}

/** The scheduler as its own process on the built code, as `skiff scheduler` runs it. */
function spawnScheduler(kubeconfig: string): ChildProcess {
  const script = `
    const { loadKubeconfig } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/client/kubeconfig.js'))});
    const { ApiClient } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/client/rest-client.js'))});
    const { startScheduler } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/control-plane/scheduler/run.js'))});
    const { pino } = await import('pino');
    const api = new ApiClient(loadKubeconfig({ path: ${JSON.stringify(kubeconfig)} }), { component: 'scheduler', qps: ${QPS}, burst: ${QPS * 2} });
    const stop = new AbortController();
    process.once('SIGTERM', () => stop.abort());
    await startScheduler({ api, log: pino({ level: 'warn' }), signal: stop.signal });
    await api.close();
  `;
  return spawn(
    'bash',
    [
      join(REPO_ROOT, 'scripts/node.sh'),
      '--max-semi-space-size=4',
      // BENCH_SCHEDULER_PROFILE=<dir> writes a CPU profile of each scheduler process there.
      ...(PROFILE_DIR ? ['--cpu-prof', `--cpu-prof-dir=${PROFILE_DIR}`] : []),
      '--input-type=module',
      '-e',
      script,
    ],
    { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit'] },
  );
}

async function stopScheduler(scheduler: ChildProcess | undefined): Promise<void> {
  if (!scheduler || scheduler.exitCode !== null) return;
  const exited = new Promise((r) => scheduler.once('exit', r));
  scheduler.kill('SIGTERM');
  await exited;
}

async function main(): Promise<void> {
  progress('starting skiff server');
  const server: TestServer = await startSkiffServer();
  const api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'bench', qps: 0 });
  const rows: BenchRow[] = [];
  let scheduler: ChildProcess | undefined;
  const stopWatch = new AbortController();
  try {
    for (const ns of ['raw', ...WORKLOADS.flatMap((w) => [w, `${w}-paced`])])
      await api.create(NAMESPACES, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } });
    progress(`creating ${NODES_N} hollow nodes in ${ZONES} zones`);
    await parallel(NODES_N, (i) => api.create(NODES, hollowNode(i)));

    // Raw: the API taking plain bindings, no scheduling (pods the scheduler ignores).
    progress(`raw: ${PODS_N} pods bound directly`);
    await parallel(PODS_N, (i) =>
      api.create(PODS, benchPod(`raw-${i}`, 'raw', 'nobody'), { namespace: 'raw' }),
    );
    const rawSeconds = await parallel(PODS_N, (i) =>
      api.subresource('POST', PODS, `raw-${i}`, 'binding', {
        namespace: 'raw',
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name: `raw-${i}`, namespace: 'raw' },
          target: { apiVersion: 'v1', kind: 'Node', name: `hollow-${(i * 7919) % NODES_N}` },
        },
      }),
    );
    const rawRate = PODS_N / rawSeconds;
    rows.push({
      metric: `plain bindings through the API (no scheduling), ${PODS_N} pods`,
      unit: 'bindings/s',
      value: round(rawRate, 1),
    });

    // Watch bindings as they land.
    const boundAt = new Map<string, number>();
    const informer = new Informer<Pod & { metadata: NonNullable<Pod['metadata']> }>(api, PODS, {
      freeze: false,
    });
    const record = (p: Pod) => {
      const key = `${p.metadata?.namespace}/${p.metadata?.name}`;
      if (p.spec?.nodeName && p.metadata?.namespace !== 'raw' && !boundAt.has(key))
        boundAt.set(key, performance.now());
    };
    informer.addEventHandler({ onAdd: record, onUpdate: (_o, n) => record(n) });
    void informer.start(stopWatch.signal);
    await informer.waitForSync();
    const waitBound = async (n: number, ns: string, timeoutMs: number) => {
      const deadline = performance.now() + timeoutMs;
      const count = () => [...boundAt.keys()].filter((k) => k.startsWith(`${ns}/`)).length;
      let reported = 0;
      while (count() < n) {
        if (performance.now() > deadline) throw new Error(`only ${count()}/${n} pods bound in ${ns}`);
        if (count() >= reported + 1000) {
          reported = count() - (count() % 1000);
          progress(`  ${reported} bound`);
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    };

    for (const workload of WORKLOADS as Workload[]) {
      const label = workload === 'basic' ? '' : ', zone spread (50 zones, maxSkew 1)';
      progress(`${workload}: backlog of ${PODS_N} pending pods`);
      await parallel(PODS_N, (i) =>
        api.create(PODS, benchPod(`p-${i}`, workload, undefined, workload), { namespace: workload }),
      );
      progress(`${workload}: starting a scheduler`);
      scheduler = spawnScheduler(server.kubeconfig);
      await waitBound(PODS_N, workload, 600_000);
      const times = [...boundAt.entries()].filter(([k]) => k.startsWith(`${workload}/`)).map(([, t]) => t);
      const first = Math.min(...times);
      const lastBound = Math.max(...times);
      const rate = (PODS_N - 1) / ((lastBound - first) / 1000);
      const rss = scheduler.pid ? rssMiB(scheduler.pid) : Number.NaN;

      const paced = `${workload}-paced`;
      progress(`${workload}: ${PACED_N} paced pods at ${PACED_RATE}/s`);
      const sentAt = new Map<string, number>();
      const t0 = performance.now();
      const creates: Promise<unknown>[] = [];
      for (let i = 0; i < PACED_N; i++) {
        const due = t0 + (i * 1000) / PACED_RATE;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        sentAt.set(`${paced}/q-${i}`, performance.now());
        creates.push(api.create(PODS, benchPod(`q-${i}`, paced, undefined, workload), { namespace: paced }));
      }
      await Promise.all(creates);
      await waitBound(PACED_N, paced, 120_000);
      const latencies = [...sentAt].map(([k, t]) => (boundAt.get(k) ?? Number.NaN) - t);
      await stopScheduler(scheduler);
      scheduler = undefined;

      rows.push(
        {
          metric: `scheduling throughput, ${NODES_N} nodes, ${PODS_N} pending pods${label}`,
          unit: 'pods/s',
          value: round(rate, 1),
          raw: round(rawRate, 1),
          ratio: round(rate / rawRate, 2),
          target: '>= 300',
          met: rate >= 300,
        },
        {
          metric: `create-to-bound latency p50, ${PACED_RATE} pods/s${label}`,
          unit: 'ms',
          value: round(percentile(latencies, 50), 1),
        },
        {
          metric: `create-to-bound latency p99, ${PACED_RATE} pods/s${label}`,
          unit: 'ms',
          value: round(percentile(latencies, 99), 1),
        },
        {
          metric: `scheduler RSS after ${PODS_N} pods on ${NODES_N} nodes${label}`,
          unit: 'MiB',
          value: round(rss, 1),
        },
      );
    }
  } finally {
    stopWatch.abort();
    await stopScheduler(scheduler);
    await api.close();
    await server.stop();
  }
  printAndWrite('scheduler', rows);
}

await main();
