/**
 * API benchmark: latency and throughput through the API beside raw etcd3 operations on the
 * same objects in the same run, watch fan-out with 1000 watchers, and server memory.
 */

import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Etcd3 } from 'etcd3';
import { startSkiffServer, type TestServer } from '../test/support/skiff-server.js';
import { type BenchRow, percentile, printAndWrite, round, rssMiB } from './stats.js';
import { sharedClockMs, type WatchWorkerJob, type WorkerMessage } from './watch-worker.js';

const STORED_PODS = Number(process.env.BENCH_STORED_PODS ?? 3000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
/** Processes the watchers are spread over, each its own event loop. */
const WATCH_PROCS = Number(process.env.BENCH_WATCH_PROCS ?? 4);
/**
 * `1`: the API process on CPU 0 and the watch clients on CPU 1 (taskset), so the server's
 * fan-out time is not spent waiting for the clients' CPU.
 */
const WATCH_PIN = process.env.BENCH_WATCH_PIN === '1';
/** `watch` runs only the watch fan-out part (quick iterations on the watch path). */
const ONLY = process.env.BENCH_API_ONLY ?? '';
/** Watch fan-out over which protocols: `h1`, `h2`, or both (default `h1,h2`). */
const WATCH_PROTOCOLS = (process.env.BENCH_WATCH_PROTOCOLS ?? 'h1,h2')
  .split(',')
  .filter((p): p is 'h1' | 'h2' => p === 'h1' || p === 'h2');
const PACED_RATE = 20;
const PACED_SECONDS = 15;

const progress = (msg: string) => process.stderr.write(`bench api: ${msg}\n`);

function pod(name: string, ns: string) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: ns, labels: { app: 'bench', tier: 'web', index: name } },
    spec: {
      nodeName: '',
      containers: [
        {
          name: 'main',
          image: 'registry.local/bench/app:1.0.0',
          command: ['/bin/sh', '-c', 'while true; do sleep 3600; done'],
          env: Array.from({ length: 8 }, (_, i) => ({
            name: `VAR_${i}`,
            value: `value-${i}-${'x'.repeat(40)}`,
          })),
          ports: [{ containerPort: 8080, name: 'http' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        },
      ],
    },
  };
}

async function timed<T>(fn: () => Promise<T>): Promise<[number, T]> {
  const t0 = performance.now();
  const r = await fn();
  return [performance.now() - t0, r];
}

async function main(): Promise<void> {
  progress('starting skiff server');
  const server: TestServer = await startSkiffServer();
  const rows: BenchRow[] = [];
  const etcd = new Etcd3({ hosts: `http://127.0.0.1:${server.etcdPort}` });
  try {
    await new Promise((r) => setTimeout(r, 2000));
    const idleRss = rssMiB(server.process.pid ?? 0);
    rows.push({
      metric: 'server RSS idle (API + embedded etcd)',
      unit: 'MiB',
      value: round(idleRss, 1),
      target: '<= 180',
      met: idleRss <= 180,
    });

    const api = async (method: string, path: string, body?: unknown) => {
      const res = await server.fetch(method, path, body);
      if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${res.text.slice(0, 200)}`);
      return res;
    };
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    await api('POST', '/api/v1/namespaces', { metadata: { name: 'watch' } });
    if (ONLY === 'watch') {
      rows.push(...(await watchRows(server, etcd)));
      printAndWrite('api-watch', rows);
      return;
    }

    // Raw etcd: the layer below, same objects.
    progress(`raw etcd: ${SAMPLES} puts and gets`);
    const rawPut: number[] = [];
    const rawGet: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const body = JSON.stringify(pod(`raw-${i}`, 'bench'));
      rawPut.push((await timed(() => etcd.put(`/bench-raw/pods/${i}`).value(body).exec()))[0]);
    }
    for (let i = 0; i < SAMPLES; i++)
      rawGet.push((await timed(() => etcd.get(`/bench-raw/pods/${i}`).string()))[0]);

    progress(`API: ${SAMPLES} sequential creates, updates, gets`);
    const creates: number[] = [];
    const updates: number[] = [];
    const gets: number[] = [];
    const created: any[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      const [ms, res] = await timed(() =>
        api('POST', '/api/v1/namespaces/bench/pods', pod(`seq-${i}`, 'bench')),
      );
      creates.push(ms);
      created.push(res.json());
    }
    for (const p of created) {
      p.metadata.labels.updated = 'yes';
      updates.push((await timed(() => api('PUT', `/api/v1/namespaces/bench/pods/${p.metadata.name}`, p)))[0]);
    }
    for (const p of created)
      gets.push((await timed(() => api('GET', `/api/v1/namespaces/bench/pods/${p.metadata.name}`)))[0]);

    progress(`storing ${STORED_PODS} pods (20 in parallel)`);
    const fillStart = performance.now();
    let next = SAMPLES;
    const workers = Array.from({ length: 20 }, async () => {
      while (next < STORED_PODS) {
        const i = next++;
        await api('POST', '/api/v1/namespaces/bench/pods', pod(`fill-${i}`, 'bench'));
        if (i % 500 === 0) progress(`  ${i} pods stored`);
      }
    });
    await Promise.all(workers);
    const fillSeconds = (performance.now() - fillStart) / 1000;
    const fillRate = (STORED_PODS - SAMPLES) / fillSeconds;

    progress('list all pods (paginated by 500) x5');
    const lists: number[] = [];
    for (let i = 0; i < 5; i++) {
      lists.push(
        (
          await timed(async () => {
            let cont = '';
            do {
              const r = (
                await api(
                  'GET',
                  `/api/v1/namespaces/bench/pods?limit=500${cont ? `&continue=${encodeURIComponent(cont)}` : ''}`,
                )
              ).json();
              cont = r.metadata.continue ?? '';
            } while (cont);
          })
        )[0],
      );
    }
    const rawList: number[] = [];
    for (let i = 0; i < 5; i++) {
      rawList.push((await timed(() => rawPagedList(etcd, '/registry/core/pods/bench/')))[0]);
    }

    progress(`paced writes: ${PACED_RATE}/s for ${PACED_SECONDS}s with ${STORED_PODS} pods stored`);
    const paced: number[] = [];
    for (let i = 0; i < PACED_RATE * PACED_SECONDS; i++) {
      const p = created[i % created.length];
      const [ms] = await timed(() =>
        server.fetch(
          'PATCH',
          `/api/v1/namespaces/bench/pods/${p.metadata.name}`,
          { metadata: { annotations: { tick: String(i) } } },
          {
            'content-type': 'application/merge-patch+json',
          },
        ),
      );
      paced.push(ms);
      const wait = 1000 / PACED_RATE - ms;
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const loadedRss = rssMiB(server.process.pid ?? 0);

    const watch = await watchRows(server, etcd);

    const rawPutP50 = percentile(rawPut, 50);
    const rawPutP99 = percentile(rawPut, 99);
    const createP50 = percentile(creates, 50);
    const updateP50 = percentile(updates, 50);
    rows.push(
      {
        metric: 'create p50',
        unit: 'ms',
        value: round(createP50),
        raw: round(rawPutP50),
        ratio: round(createP50 / rawPutP50),
        target: '<= 3x raw put',
        met: createP50 / rawPutP50 <= 3,
      },
      {
        metric: 'create p99',
        unit: 'ms',
        value: round(percentile(creates, 99)),
        raw: round(rawPutP99),
        ratio: round(percentile(creates, 99) / rawPutP99),
      },
      {
        metric: 'update p50',
        unit: 'ms',
        value: round(updateP50),
        raw: round(rawPutP50),
        ratio: round(updateP50 / rawPutP50),
        target: '<= 3x raw put',
        met: updateP50 / rawPutP50 <= 3,
      },
      {
        metric: 'update p99',
        unit: 'ms',
        value: round(percentile(updates, 99)),
        raw: round(rawPutP99),
        ratio: round(percentile(updates, 99) / rawPutP99),
      },
      {
        metric: 'get p50',
        unit: 'ms',
        value: round(percentile(gets, 50)),
        raw: round(percentile(rawGet, 50)),
        ratio: round(percentile(gets, 50) / percentile(rawGet, 50)),
      },
      {
        metric: 'get p99',
        unit: 'ms',
        value: round(percentile(gets, 99)),
        raw: round(percentile(rawGet, 99)),
        ratio: round(percentile(gets, 99) / percentile(rawGet, 99)),
      },
      { metric: `create throughput (20 parallel)`, unit: 'obj/s', value: round(fillRate, 0) },
      {
        metric: `list ${STORED_PODS} pods p50 (limit 500 pages)`,
        unit: 'ms',
        value: round(percentile(lists, 50)),
        raw: round(percentile(rawList, 50)),
        ratio: round(percentile(lists, 50) / percentile(rawList, 50)),
      },
      {
        metric: `mutating p99 at ${PACED_RATE}/s, ${STORED_PODS} pods stored`,
        unit: 'ms',
        value: round(percentile(paced, 99)),
        target: '<= 50',
        met: percentile(paced, 99) <= 50,
      },
      ...watch,
      {
        metric: `server RSS after writes, ${STORED_PODS} pods stored (API + etcd)`,
        unit: 'MiB',
        value: round(loadedRss, 1),
      },
      {
        metric: `API process RSS after ${WATCHERS} watchers, ${STORED_PODS} pods`,
        unit: 'MiB',
        value: round(rssMiB(server.process.pid ?? 0, false), 1),
      },
    );
    printAndWrite('api', rows);
  } finally {
    etcd.close();
    await server.stop();
  }
}

/** Lists a prefix from etcd in pages of 500 at one revision, as the API does. */
async function rawPagedList(etcd: Etcd3, prefix: string): Promise<number> {
  let start = prefix;
  const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
  let revision: string | undefined;
  let count = 0;
  for (;;) {
    let builder = etcd.getAll().inRange({ start, end }).limit(500);
    if (revision) builder = builder.revision(revision);
    const page = await builder.exec();
    revision ??= page.header.revision;
    count += page.kvs.length;
    for (const kv of page.kvs) JSON.parse(kv.value.toString());
    if (!page.more || page.kvs.length === 0) return count;
    start = `${page.kvs[page.kvs.length - 1].key.toString()}\0`;
  }
}

/**
 * Delivery to one watcher, then to WATCHERS watchers, with the server's and clients' share: over
 * HTTP/1.1 (a connection per watch), then over HTTP/2 (one connection per client process carrying
 * its watches as streams, as client-go's informers share one).
 */
async function watchRows(server: TestServer, etcd: Etcd3): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const protocol of WATCH_PROTOCOLS) rows.push(...(await watchRowsOver(server, etcd, protocol)));
  return rows;
}

async function watchRowsOver(server: TestServer, etcd: Etcd3, protocol: 'h1' | 'h2'): Promise<BenchRow[]> {
  // HTTP/1.1 rows keep their names from before HTTP/2 existed, so results stay comparable.
  const over = protocol === 'h2' ? ', HTTP/2 (a connection per client process)' : '';
  const wire = protocol === 'h2' ? 'HTTP/2' : 'HTTP/1.1';
  progress(`watch delivery over ${wire}: 1 watcher`);
  const one = await watchFanOut(server, etcd, 1, `tick-single-${protocol}`, protocol);
  progress(`watch fan-out over ${wire}: ${WATCHERS} watchers in ${WATCH_PROCS} processes`);
  const many = await watchFanOut(server, etcd, WATCHERS, `tick-${protocol}`, protocol);
  const ms = (v: number | undefined) => round(v ?? Number.NaN);
  const rawP50 = percentile(many.raw, 50);
  const rawP99 = percentile(many.raw, 99);
  const p50 = percentile(many.latencies, 50);
  const p99 = percentile(many.latencies, 99);
  return [
    {
      metric: `watch event p50, 1 watcher (write + delivery)${over}`,
      unit: 'ms',
      value: ms(percentile(one.latencies, 50)),
      raw: ms(percentile(one.raw, 50)),
      ratio: round(percentile(one.latencies, 50) / percentile(one.raw, 50)),
    },
    {
      metric: `watch event p99, 1 watcher (write + delivery)${over}`,
      unit: 'ms',
      value: ms(percentile(one.latencies, 99)),
      raw: ms(percentile(one.raw, 99)),
      ratio: round(percentile(one.latencies, 99) / percentile(one.raw, 99)),
    },
    {
      metric: `watch event p50, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(p50),
      raw: ms(rawP50),
      ratio: round(p50 / rawP50),
    },
    {
      metric: `watch event p99, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(p99),
      raw: ms(rawP99),
      ratio: round(p99 / rawP99),
      target: '<= 20',
      met: p99 <= 20,
    },
    {
      metric: `watch first-to-last receipt p99, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(percentile(many.spread, 99)),
    },
    {
      metric: `server fan-out per event mean, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(many.serverDispatch?.mean),
    },
    {
      metric: `server fan-out per event p99 (bucket bound), ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(many.serverDispatch?.p99),
    },
    {
      metric: `API process CPU per event, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(many.serverCpuMsPerEvent),
    },
    {
      metric: `watch clients' CPU per event, ${WATCHERS} watchers${over}`,
      unit: 'ms',
      value: ms(many.clientCpuMsPerEvent),
    },
    {
      metric: `events delivered, ${WATCHERS} watchers${over}`,
      unit: 'count',
      value: many.latencies.length,
      target: `= ${many.expected}`,
      met: many.latencies.length === many.expected,
    },
  ];
}

interface FanOut {
  /** Sent (before the PATCH) to complete receipt of the event line, per watcher and event, ms. */
  latencies: number[];
  /** Sent to receipt by a raw etcd3 watch on the same key (the layer below), ms. */
  raw: number[];
  /** Per event, the last watcher's receipt minus the first watcher's, ms. */
  spread: number[];
  /** API process CPU per event, ms (from /proc, 10 ms ticks summed over all events). */
  serverCpuMsPerEvent: number;
  /** Watcher processes' CPU per event, ms. */
  clientCpuMsPerEvent: number;
  /** The server's own fan-out time per event (change handed to every watcher's socket), ms. */
  serverDispatch?: { mean: number; p99: number };
  expected: number;
}

const EVENTS = 30;

function pin(pid: number, cpus: string): void {
  execFileSync('taskset', ['-pc', cpus, String(pid)], { stdio: 'ignore' });
}

/** utime + stime of a process in ms. */
function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** A histogram's buckets, sum and count from the server's /metrics. */
async function scrapeHistogram(
  server: TestServer,
  name: string,
): Promise<{ buckets: Map<number, number>; sum: number; count: number }> {
  const text = (await server.fetch('GET', '/metrics')).text;
  const buckets = new Map<number, number>();
  let sum = 0;
  let count = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const le = /le="([^"]+)"/.exec(line)?.[1];
    if (line.startsWith(`${name}_bucket`) && le) {
      const bound = le === '+Inf' ? Number.POSITIVE_INFINITY : Number(le);
      buckets.set(bound, (buckets.get(bound) ?? 0) + value);
    } else if (line.startsWith(`${name}_sum`)) sum += value;
    else if (line.startsWith(`${name}_count`)) count += value;
  }
  return { buckets, sum, count };
}

/** Mean and bucket-bound p99 of the observations between two scrapes, in ms. */
function histogramDelta(
  before: Awaited<ReturnType<typeof scrapeHistogram>>,
  after: Awaited<ReturnType<typeof scrapeHistogram>>,
): { mean: number; p99: number } | undefined {
  const count = after.count - before.count;
  if (count <= 0) return undefined;
  const bounds = [...after.buckets.keys()].sort((a, b) => a - b);
  let p99 = Number.POSITIVE_INFINITY;
  for (const b of bounds) {
    if ((after.buckets.get(b) ?? 0) - (before.buckets.get(b) ?? 0) >= 0.99 * count) {
      p99 = b;
      break;
    }
  }
  return { mean: ((after.sum - before.sum) / count) * 1000, p99: p99 * 1000 };
}

const DISPATCH_METRIC = 'skiff_storage_watch_cache_dispatch_seconds';

/**
 * Opens n watches on one object, spread over worker processes, then updates it EVENTS times
 * (100 ms apart) and measures each delivery, beside a raw etcd watch of the same key.
 */
async function watchFanOut(
  server: TestServer,
  etcd: Etcd3,
  n: number,
  name: string,
  protocol: 'h1' | 'h2',
): Promise<FanOut> {
  const tls = {
    ca: readFileSync(`${server.dataDir}/tls/ca.crt`, 'utf8'),
    cert: readFileSync(`${server.dataDir}/tls/admin.crt`, 'utf8'),
    key: readFileSync(`${server.dataDir}/tls/admin.key`, 'utf8'),
  };
  const created = (
    await server.fetch('POST', '/api/v1/namespaces/watch/configmaps', {
      metadata: { name },
      data: { sent: '0' },
    })
  ).json();
  const path = `/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3D${name}`;
  const procs = Math.max(1, Math.min(WATCH_PROCS, n));
  if (WATCH_PIN && server.process.pid) pin(server.process.pid, '0');
  const workers = Array.from({ length: procs }, (_, i) => {
    const count = Math.floor(n / procs) + (i < n % procs ? 1 : 0);
    const child = fork(new URL('./watch-worker.ts', import.meta.url), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const job: WatchWorkerJob = { host: '127.0.0.1', port: server.port, path, tls, count, protocol };
    child.send(job);
    if (WATCH_PIN && child.pid) pin(child.pid, '1');
    return child;
  });
  const next = (w: ChildProcess) =>
    new Promise<WorkerMessage>((resolve, reject) => {
      w.once('message', (m) => resolve(m as WorkerMessage));
      w.once('exit', (code) => reject(new Error(`watch worker exited with ${code}`)));
    });
  const ready = await Promise.all(workers.map(next));
  const failures = ready.flatMap((m) => (m.type === 'ready' ? m.failed : []));
  if (failures.length > 0) progress(`warning: ${failures.length} watches failed: ${failures[0]}`);

  // The layer below: etcd's own watch of the same key, stamped on the same clock.
  const raw: number[] = [];
  const rawWatch = await etcd.watch().key(`/registry/core/configmaps/watch/${name}`).create();
  rawWatch.on('put', (kv) => {
    const at = sharedClockMs();
    const sent = Number(JSON.parse(kv.value.toString()).data?.sent ?? 0);
    if (sent > 0) raw.push(at - sent);
  });

  await new Promise((r) => setTimeout(r, 1000));
  for (const w of workers) w.send({ type: 'mark' });
  const dispatchBefore = await scrapeHistogram(server, DISPATCH_METRIC);
  const pid = server.process.pid ?? 0;
  const cpuBefore = cpuMs(pid);
  for (let i = 0; i < EVENTS; i++) {
    await server.fetch(
      'PATCH',
      `/api/v1/namespaces/watch/configmaps/${name}`,
      { data: { sent: String(sharedClockMs()) } },
      { 'content-type': 'application/merge-patch+json' },
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const serverCpu = cpuMs(pid) - cpuBefore;
  const dispatchAfter = await scrapeHistogram(server, DISPATCH_METRIC);
  await rawWatch.cancel();

  const bySent = new Map<number, number[]>();
  let clientCpu = 0;
  for (const w of workers) {
    const done = next(w);
    w.send({ type: 'stop' });
    const m = await done;
    if (m.type === 'done') {
      for (let i = 0; i < m.receipts.length; i += 2) {
        const sent = m.receipts[i] as number;
        const at = bySent.get(sent) ?? [];
        at.push(m.receipts[i + 1] as number);
        bySent.set(sent, at);
      }
      clientCpu += m.cpuMs;
      if (m.ended > 0) progress(`warning: ${m.ended} watches ended by the server`);
    }
  }
  const latencies: number[] = [];
  const spread: number[] = [];
  for (const [sent, at] of bySent) {
    for (const t of at) latencies.push(t - sent);
    spread.push(Math.max(...at) - Math.min(...at));
  }
  if (latencies.length < n * EVENTS * 0.99)
    progress(`warning: ${latencies.length} of ${n * EVENTS} watch events arrived`);
  return {
    latencies,
    raw,
    spread,
    serverCpuMsPerEvent: serverCpu / EVENTS,
    clientCpuMsPerEvent: clientCpu / EVENTS,
    serverDispatch: histogramDelta(dispatchBefore, dispatchAfter),
    expected: n * EVENTS,
  };
}

await main();
