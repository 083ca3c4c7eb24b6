/**
 * API benchmark: latency and throughput through the API beside raw etcd3 operations on the
 * same objects in the same run, watch fan-out with 1000 watchers, and server memory.
 */

import { Worker } from 'node:worker_threads';
import { Etcd3 } from 'etcd3';
import { startSkiffServer, type TestServer } from '../test/support/skiff-server.js';
import { type BenchRow, percentile, printAndWrite, round, rssMiB } from './stats.js';

const STORED_PODS = Number(process.env.BENCH_STORED_PODS ?? 3000);
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 300);
const WATCHERS = Number(process.env.BENCH_WATCHERS ?? 1000);
const WATCH_THREADS = Number(process.env.BENCH_WATCH_THREADS ?? 2);
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

    progress('watch delivery: 1 watcher');
    const singleWatchLatency = await watchFanOut(server, 1, 'tick-single');
    progress(`watch fan-out: ${WATCHERS} watchers`);
    const watchLatency = await watchFanOut(server, WATCHERS, 'tick');

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
      {
        metric: 'watch event p99, 1 watcher (write + delivery)',
        unit: 'ms',
        value: round(percentile(singleWatchLatency, 99)),
      },
      {
        metric: `watch event p50, ${WATCHERS} watchers`,
        unit: 'ms',
        value: round(percentile(watchLatency, 50)),
      },
      {
        metric: `watch event p99, ${WATCHERS} watchers`,
        unit: 'ms',
        value: round(percentile(watchLatency, 99)),
        target: '<= 20',
        met: percentile(watchLatency, 99) <= 20,
      },
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

/** Opens n watches on one namespace, then updates an object 30 times and measures each delivery. */
async function watchFanOut(server: TestServer, n: number, name: string): Promise<number[]> {
  const { readFileSync } = await import('node:fs');
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
  const url = `${server.url}/api/v1/namespaces/watch/configmaps?watch=true&resourceVersion=${created.metadata.resourceVersion}&fieldSelector=metadata.name%3D${name}`;
  const threads = Math.min(WATCH_THREADS, n);
  const workers = Array.from({ length: threads }, (_, i) => {
    const count = Math.floor(n / threads) + (i < n % threads ? 1 : 0);
    return new Worker(new URL('./watch-worker.ts', import.meta.url), { workerData: { url, tls, count } });
  });
  await Promise.all(workers.map((w) => new Promise((resolve) => w.once('message', resolve))));
  await new Promise((r) => setTimeout(r, 500));
  for (let i = 0; i < 30; i++) {
    const sent = String(performance.now() + performance.timeOrigin);
    await server.fetch(
      'PATCH',
      `/api/v1/namespaces/watch/configmaps/${name}`,
      { data: { sent } },
      { 'content-type': 'application/merge-patch+json' },
    );
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 1000));
  const latencies: number[] = [];
  for (const w of workers) {
    const done = new Promise<{ latencies: number[] }>((resolve) => w.once('message', resolve));
    w.postMessage({ type: 'stop' });
    latencies.push(...(await done).latencies);
    await w.terminate();
  }

  if (latencies.length < n * 30 * 0.99)
    progress(`warning: ${latencies.length} of ${n * 30} watch events arrived`);
  return latencies;
}

await main();
