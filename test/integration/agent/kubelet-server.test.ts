import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type KubeletServer, startKubeletServer } from '../../../agent/server/index.js';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import { eventually } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

/** The kubelet's HTTPS server spoken to directly: auth, /pods, logs details, exec/attach protocols. */
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODE = 'kubelet-server-node';
const NODE_IP = '127.0.0.1';

let h: KubeletHarness | undefined;
let api: ApiClient;
let cri: CriClient;
let kserver: KubeletServer;
let clientCert: { cert: string; key: string };
let withCert: Agent;
let noCert: Agent;
let cachedPods: Pod[] = [];

function pod(name: string, command: string[], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      hostNetwork: true,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'main', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command }],
      ...extra,
    },
  };
}

const base = () => `https://127.0.0.1:${kserver.port}`;

async function get(path: string, dispatcher = withCert) {
  const res = await request(base() + path, { dispatcher });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

interface Session {
  channels: Map<number, string>;
  status: { status?: string; reason?: string; details?: { causes?: { message?: string }[] } } | undefined;
  closeCode: number;
}

/** A WebSocket v5 client, as kubectl 1.32 is: `input` is sent, then stdin is closed (channel 255). */
function v5(
  path: string,
  o: { input?: string; closeStdin?: boolean; resize?: boolean; until?: (s: Session) => boolean } = {},
): Promise<Session> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://127.0.0.1:${kserver.port}${path}`, ['v5.channel.k8s.io'], {
      ...clientCert,
      rejectUnauthorized: false,
    });
    const s: Session = { channels: new Map(), status: undefined, closeCode: 0 };
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => reject(new Error(`${res.statusCode} ${body}`)));
    });
    ws.on('open', () => {
      expect(ws.protocol).toBe('v5.channel.k8s.io');
      if (o.resize) ws.send(Buffer.concat([Buffer.from([4]), Buffer.from('{"Width":100,"Height":40}')]));
      if (o.input !== undefined) ws.send(Buffer.concat([Buffer.from([0]), Buffer.from(o.input)]));
      if (o.closeStdin) ws.send(Buffer.from([255, 0]));
    });
    ws.on('message', (d: Buffer) => {
      const ch = d[0];
      s.channels.set(ch, (s.channels.get(ch) ?? '') + d.subarray(1).toString());
      if (ch === 3) s.status = JSON.parse(s.channels.get(3) ?? '{}');
      if (o.until?.(s)) ws.close(1000);
    });
    ws.on('error', reject);
    ws.on('close', (code) => {
      s.closeCode = code;
      resolve(s);
    });
  });
}

const q = (cmd: string[], flags: Record<string, boolean>) =>
  [
    ...cmd.map((c) => `command=${encodeURIComponent(c)}`),
    ...Object.entries(flags).map(([k, v]) => `${k}=${v}`),
  ].join('&');

beforeAll(async () => {
  h = await startKubeletHarness({
    name: 'kserver',
    nodeName: NODE,
    nodeIP: NODE_IP,
    kubelet: () => ({ nodeStatusCheckMs: 500 }),
  });
  ({ api, cri } = h);
  h.kubelet?.catch(() => undefined);
  const tls = join(h.server.dataDir, 'tls');
  clientCert = {
    cert: await readFile(join(tls, 'admin.crt'), 'utf8'),
    key: await readFile(join(tls, 'admin.key'), 'utf8'),
  };
  withCert = new Agent({ connect: { ...clientCert, rejectUnauthorized: false } });
  noCert = new Agent({ connect: { rejectUnauthorized: false } });
  kserver = await startKubeletServer({
    cri,
    log: h.log,
    pods: () => cachedPods,
    nodeName: NODE,
    address: '127.0.0.1',
    port: 0,
    certNames: ['10.9.8.7', 'node.example'],
    clientCaPem: await readFile(join(tls, 'ca.crt'), 'utf8'),
  });
  for (const p of [
    pod('sleeper', ['sleep', '1000']),
    pod('ticker', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done']),
    pod('short', ['sh', '-c', 'echo first; sleep 2; echo second'], { restartPolicy: 'Never' }),
    pod('early', ['sh', '-c', 'echo early; exec sleep 1000']),
    pod('crasher', ['sh', '-c', 'echo "attempt at $(cat /proc/uptime)"; sleep 0.5; exit 1']),
  ])
    await api.create<Pod>(PODS, p);
  await eventually('pods running', async () => {
    const list = await api.list<Pod>(PODS, { namespace: 'default' });
    cachedPods = list.items;
    const running = list.items.filter((p) => p.status?.containerStatuses?.[0]?.state?.running);
    return running.length >= 4 ? true : undefined;
  });
}, 90_000);

afterAll(async () => {
  await kserver?.close();
  await Promise.all([withCert?.close(), noCert?.close()]);
  await h?.close();
}, 60_000);

describe('kubelet HTTPS server', () => {
  it('serves a self-signed certificate for the node names and addresses', async () => {
    const san = await new Promise<string>((resolve, reject) => {
      const s = tlsConnect({ host: '127.0.0.1', port: kserver.port, rejectUnauthorized: false }, () => {
        resolve(s.getPeerCertificate().subjectaltname ?? '');
        s.end();
      });
      s.on('error', reject);
    });
    for (const n of [
      'DNS:localhost',
      `DNS:${NODE}`,
      'DNS:node.example',
      'IP Address:127.0.0.1',
      'IP Address:10.9.8.7',
    ])
      expect(san).toContain(n);
  });

  it('answers /healthz to anyone and everything else only to clients with a cluster certificate', async () => {
    expect(await get('/healthz', noCert)).toMatchObject({ status: 200, text: 'ok' });
    const denied = await get('/pods', noCert);
    expect(denied.status).toBe(401);
    expect(JSON.parse(denied.text)).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    expect((await get('/containerLogs/default/sleeper/main', noCert)).status).toBe(401);
    await expect(v5(`/exec/default/sleeper/main?${q(['true'], { stdout: true })}`, {})).resolves.toBeTruthy();
    const ws = new WebSocket(
      `wss://127.0.0.1:${kserver.port}/exec/default/sleeper/main?command=true&stdout=true`,
      ['v5.channel.k8s.io'],
      { rejectUnauthorized: false },
    );
    const code = await new Promise<number | undefined>((resolve) => {
      ws.on('unexpected-response', (_r, res) => resolve(res.statusCode));
      ws.on('open', () => resolve(101));
      ws.on('error', () => resolve(undefined));
    });
    expect(code).toBe(401);
  });

  it('lists its pods on /pods, serves /metrics and answers unknown paths with 404', async () => {
    const pods = await get('/pods');
    expect(pods.status).toBe(200);
    const list = JSON.parse(pods.text);
    expect(list.kind).toBe('PodList');
    expect(list.items.map((p: Pod) => p.metadata?.name).sort()).toEqual([
      'crasher',
      'early',
      'short',
      'sleeper',
      'ticker',
    ]);
    const metrics = await get('/metrics');
    expect(metrics.text).toContain('skiff_kubelet_server_requests_total{endpoint="pods",code="200"}');
    expect((await get('/nothing/here')).status).toBe(404);
    expect((await get('/containerLogs/default/%E0%A4%A/main')).status).toBe(404);
    expect((await get('/exec/default/sleeper/main?command=true&stdout=true')).status).toBe(400);
  });

  it('serves logs since a time, rejects bad options, and 404s an unknown pod', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    expect((await get('/containerLogs/default/early/main')).text).toBe('early\n');
    expect((await get('/containerLogs/default/early/main?sinceSeconds=1')).text).toBe('');
    expect((await get('/containerLogs/default/early/main?sinceSeconds=3600')).text).toBe('early\n');
    expect(
      (
        await get(
          `/containerLogs/default/early/main?sinceTime=${new Date(Date.now() - 60_000).toISOString()}`,
        )
      ).text,
    ).toBe('early\n');
    const bad = await get('/containerLogs/default/early/main?tailLines=-1');
    expect(bad.status).toBe(400);
    expect(JSON.parse(bad.text).message).toContain('tailLines');
    expect(
      (await get('/containerLogs/default/early/main?sinceSeconds=1&sinceTime=2020-01-01T00:00:00Z')).status,
    ).toBe(400);
    const missing = await get('/containerLogs/default/nobody/main');
    expect(missing.status).toBe(404);
    expect(JSON.parse(missing.text).reason).toBe('NotFound');
    expect((await get('/containerLogs/default/early/other')).status).toBe(400);
  });

  it('serves the previous attempt, also from its file once its container is gone', async () => {
    const uid = cachedPods.find((p) => p.metadata?.name === 'crasher')?.metadata?.uid ?? '';
    const attempts = await eventually('a second attempt', async () => {
      const cs = await cri.runtime.listContainers({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
      return cs.length >= 2
        ? cs.sort((a, b) => (b.metadata?.attempt ?? 0) - (a.metadata?.attempt ?? 0))
        : undefined;
    });
    const previous = await get('/containerLogs/default/crasher/main?previous=true');
    expect(previous.status).toBe(200);
    expect(previous.text).toMatch(/^attempt at \d/);
    const current = await eventually('the current attempt logged', async () => {
      const r = await get('/containerLogs/default/crasher/main');
      return r.text ? r : undefined;
    });
    expect(current.text).not.toBe(previous.text);
    // Only the latest two attempts are kept; without its container the previous log is read from its file.
    await cri.runtime.removeContainer(attempts[1].id);
    const fromFile = await get('/containerLogs/default/crasher/main?previous=true');
    expect(fromFile).toMatchObject({ status: 200, text: previous.text });
  });

  it('ends a followed log when the container exits', async () => {
    const started = Date.now();
    const res = await get('/containerLogs/default/short/main?follow=true');
    expect(res.status).toBe(200);
    expect(res.text).toBe('first\nsecond\n');
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('follows a log from the tail until the client goes away', async () => {
    const ac = new AbortController();
    const res = await request(`${base()}/containerLogs/default/ticker/main?follow=true&tailLines=1`, {
      dispatcher: withCert,
      signal: ac.signal,
    });
    let text = '';
    await expect(
      (async () => {
        for await (const chunk of res.body) {
          text += chunk;
          if ((text.match(/\n/g)?.length ?? 0) >= 4) ac.abort();
        }
      })(),
    ).rejects.toThrow();
    const n = text
      .split('\n')
      .filter(Boolean)
      .map((l) => Number(l.replace('tick ', '')));
    expect(n.length).toBeGreaterThanOrEqual(4);
    expect(n[0]).toBeGreaterThan(1);
    for (let i = 1; i < n.length; i++) expect(n[i]).toBe(n[i - 1] + 1);
  });

  it('exec over WebSocket v5: output channels and a NonZeroExitCode status', async () => {
    const s = await v5(
      `/exec/default/sleeper/main?${q(['sh', '-c', 'echo out; echo err >&2; exit 7'], { stdout: true, stderr: true })}`,
    );
    expect(s.channels.get(1)).toBe('out\n');
    expect(s.channels.get(2)).toBe('err\n');
    expect(s.status).toMatchObject({ status: 'Failure', reason: 'NonZeroExitCode' });
    expect(s.status?.details?.causes?.[0]?.message).toBe('7');
    expect(s.closeCode).toBe(1000);
  });

  it('exec over WebSocket v5 with stdin: channel 255 closes stdin for the process', async () => {
    const s = await v5(
      `/exec/default/sleeper/main?${q(['sh', '-c', 'cat; echo end'], { stdin: true, stdout: true, stderr: true })}`,
      {
        input: 'hello\nworld\n',
        closeStdin: true,
      },
    );
    expect(s.channels.get(1)).toBe('hello\nworld\nend\n');
    expect(s.status).toMatchObject({ status: 'Success' });
  });

  it('exec carries megabytes both ways (stdin over SPDY, output over WebSocket v4)', async () => {
    const input = 'x'.repeat(3_000_000);
    const up = await v5(
      `/exec/default/sleeper/main?${q(['wc', '-c'], { stdin: true, stdout: true, stderr: true })}`,
      {
        input,
        closeStdin: true,
      },
    );
    expect(up.channels.get(1)?.trim()).toBe('3000000');
    const down = await v5(
      `/exec/default/sleeper/main?${q(['head', '-c', '3000000', '/dev/zero'], { stdout: true, stderr: true })}`,
    );
    expect(down.channels.get(1)?.length).toBe(3_000_000);
    expect(down.status).toMatchObject({ status: 'Success' });
  });

  it('exec with a tty takes the terminal size from the resize channel', async () => {
    const s = await v5(
      `/exec/default/sleeper/main?${q(['sh', '-c', 'sleep 0.3; stty size'], { stdin: true, stdout: true, tty: true })}`,
      {
        resize: true,
      },
    );
    expect(s.channels.get(1)).toBe('40 100\r\n');
    expect(s.status).toMatchObject({ status: 'Success' });
  });

  it('attach over WebSocket v5 streams the running container output', async () => {
    const s = await v5('/attach/default/ticker/main?stdout=true&stderr=true', {
      until: (x) => /tick \d+\n.*tick \d+\n/s.test(x.channels.get(1) ?? ''),
    });
    expect(s.channels.get(1)).toMatch(/tick \d+\n/);
  });

  it('passes other WebSocket protocols (v4) straight to the runtime, with the uid form of the path', async () => {
    const uid = cachedPods.find((p) => p.metadata?.name === 'sleeper')?.metadata?.uid;
    const out = await new Promise<{ protocol: string; data: string }>((resolve, reject) => {
      const ws = new WebSocket(
        `wss://127.0.0.1:${kserver.port}/exec/default/sleeper/${uid}/main?${q(['echo', 'v4 works'], { stdout: true })}`,
        ['v4.channel.k8s.io'],
        { ...clientCert, rejectUnauthorized: false },
      );
      let data = '';
      ws.on('message', (d: Buffer) => {
        if (d[0] === 1) data += d.subarray(1).toString();
      });
      ws.on('close', () => resolve({ protocol: ws.protocol, data }));
      ws.on('error', reject);
    });
    expect(out).toEqual({ protocol: 'v4.channel.k8s.io', data: 'v4 works\n' });
  });

  it('refuses exec into a container that does not run, and a pod it does not know', async () => {
    await expect(v5(`/exec/default/sleeper/ghost?${q(['true'], { stdout: true })}`)).rejects.toThrow(
      /^400 .*ghost/,
    );
    await expect(v5(`/exec/default/nobody/main?${q(['true'], { stdout: true })}`)).rejects.toThrow(/^404 /);
    await expect(v5(`/exec/default/sleeper/main?${q([], { stdout: true })}`)).rejects.toThrow(
      /at least one command/,
    );
  });
});
