/** A share of the bench's watchers in its own thread, so decoding 1000 streams is not one core's queue. */
import { parentPort, workerData } from 'node:worker_threads';
import { Agent, request } from 'undici';

interface Job {
  url: string;
  tls: { ca: string; cert: string; key: string };
  count: number;
}

const job = workerData as Job;
const dispatcher = new Agent({ connections: job.count + 10, pipelining: 0, connect: job.tls });
const controller = new AbortController();
const latencies: number[] = [];
let ready = 0;

const streams = Array.from({ length: job.count }, async () => {
  const res = await request(job.url, { dispatcher, signal: controller.signal });
  ready++;
  if (ready === job.count) parentPort?.postMessage({ type: 'ready' });
  let buf = '';
  try {
    for await (const chunk of res.body) {
      const now = performance.now() + performance.timeOrigin;
      buf += chunk.toString();
      let nl = buf.indexOf('\n');
      while (nl >= 0) {
        const ev = JSON.parse(buf.slice(0, nl));
        buf = buf.slice(nl + 1);
        const sent = Number(ev.object?.data?.sent ?? 0);
        if (sent > 0) latencies.push(now - sent);
        nl = buf.indexOf('\n');
      }
    }
  } catch {
    // aborted at the end
  }
});

parentPort?.on('message', async (msg: { type: string }) => {
  if (msg.type !== 'stop') return;
  controller.abort();
  await Promise.allSettled(streams);
  await dispatcher.close();
  parentPort?.postMessage({ type: 'done', latencies });
});
