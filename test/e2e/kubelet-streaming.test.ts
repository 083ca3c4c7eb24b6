import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubeletServer, startKubeletServer } from '../../agent/server/index.js';
import type { ApiClient, ResourceRef } from '../../client/rest-client.js';
import { BUSYBOX_IMAGE } from '../support/busybox-image.js';
import { eventually } from '../support/eventually.js';
import { KUBECTL, kubectlFor } from '../support/kubectl.js';
import { type KubeletHarness, startKubeletHarness } from '../support/kubelet-harness.js';
import { freePort } from '../support/ports.js';
import type { TestServer } from '../support/skiff-server.js';

/**
 * The real kubectl through the real `skiff server` to the kubelet's HTTPS server and on to
 * containerd: logs, exec, port-forward. The node registers port 10250 (node-registration has
 * no port setting), so each run takes its own loopback address as node IP and binds 10250 there.
 */
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODE = 'streaming-node';
const NODE_IP = `127.${1 + Math.floor(Math.random() * 250)}.${Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`;

let h: KubeletHarness | undefined;
let server: TestServer;
let api: ApiClient;
let kubectl: ReturnType<typeof kubectlFor>;
let kubeletServer: KubeletServer;
let cachedPods: Pod[] = [];
let httpPort: number;
const children = new Set<ChildProcess>();

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

/** A kubectl left running (logs -f, port-forward), with its output so far. */
function startKubectl(args: string[], env: Record<string, string> = {}, stdin = '') {
  const child = spawn(KUBECTL, ['--kubeconfig', server.kubeconfig, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  child.stdin?.end(stdin);
  children.add(child);
  const out = { stdout: '', stderr: '', code: undefined as number | null | undefined };
  child.stdout?.on('data', (d) => (out.stdout += d));
  child.stderr?.on('data', (d) => (out.stderr += d));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      children.delete(child);
      out.code = code;
      resolve(code);
    }),
  );
  return { child, out, exited };
}

beforeAll(async () => {
  h = await startKubeletHarness({
    name: 'streaming',
    nodeName: NODE,
    nodeIP: NODE_IP,
    kubelet: () => ({ nodeStatusCheckMs: 500 }),
  });
  ({ server, api } = h);
  kubectl = kubectlFor(server.kubeconfig);
  kubeletServer = await startKubeletServer({
    cri: h.cri,
    log: h.log,
    pods: () => cachedPods,
    nodeName: NODE,
    address: NODE_IP,
    port: 10250,
    certNames: [NODE_IP],
    clientCaFile: join(server.dataDir, 'tls', 'ca.crt'),
  });
  httpPort = await freePort();
  const pods = [
    pod('logger', [
      'sh',
      '-c',
      'for i in 1 2 3 4 5; do echo "line $i"; done; sleep 0.5; echo oops >&2; exec sleep 1000',
    ]),
    pod('ticker', ['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done']),
    pod('crasher', ['sh', '-c', 'echo "run at $(cat /proc/uptime)"; sleep 1; exit 1']),
    pod('web', [
      'sh',
      '-c',
      `mkdir -p /www && echo hello-through-port-forward > /www/index.html && exec httpd -f -p ${httpPort} -h /www`,
    ]),
  ];
  for (const p of pods) await api.create<Pod>(PODS, p);
  await eventually('pods running', async () => {
    const list = await api.list<Pod>(PODS, { namespace: 'default' });
    cachedPods = list.items;
    const running = list.items.filter((p) => p.status?.containerStatuses?.[0]?.state?.running);
    return running.length >= 3 ? true : undefined;
  });
}, 120_000);

afterAll(async () => {
  for (const c of children) c.kill('SIGKILL');
  await kubeletServer?.close();
  await h?.close();
}, 60_000);

/** A counter from the kubelet's /metrics, read with the admin client certificate (cluster CA). */
async function streamsMetric(kind: string, protocol: string): Promise<number> {
  const tls = join(server.dataDir, 'tls');
  const dispatcher = new Agent({
    connect: {
      rejectUnauthorized: false,
      cert: await readFile(join(tls, 'admin.crt'), 'utf8'),
      key: await readFile(join(tls, 'admin.key'), 'utf8'),
    },
  });
  try {
    const res = await request(`https://${NODE_IP}:10250/metrics`, { dispatcher });
    const text = await res.body.text();
    const line = text
      .split('\n')
      .find((l) => l.startsWith(`skiff_kubelet_server_streams_total{kind="${kind}",protocol="${protocol}"}`));
    return line ? Number(line.split(' ').pop()) : 0;
  } finally {
    await dispatcher.close();
  }
}

describe('kubectl logs, exec and port-forward through skiff server to the kubelet', () => {
  it('kubectl logs prints the container log, both streams, and --tail the last lines', async () => {
    const all = await eventually('the stderr line logged', async () => {
      const r = await kubectl(['logs', 'logger']);
      return r.stdout.includes('oops') ? r : undefined;
    });
    expect(all.stderr).toBe('');
    expect(all.stdout).toBe('line 1\nline 2\nline 3\nline 4\nline 5\noops\n');
    const tail = await kubectl(['logs', 'logger', '--tail=2']);
    expect(tail.stdout).toBe('line 5\noops\n');
    const stamped = await kubectl(['logs', 'logger', '--tail=1', '--timestamps']);
    expect(stamped.stdout).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z oops\n$/);
    const limited = await kubectl(['logs', 'logger', '--limit-bytes=9']);
    expect(limited.stdout).toBe('line 1\nli');
  });

  it('kubectl logs -f streams new lines until it is stopped', async () => {
    const follow = startKubectl(['logs', '-f', 'ticker']);
    await eventually('three ticks followed', async () =>
      (follow.out.stdout.match(/tick \d+\n/g)?.length ?? 0) >= 3 ? true : undefined,
    );
    const seen = follow.out.stdout.match(/tick \d+\n/g)?.length ?? 0;
    await eventually('more ticks', async () =>
      (follow.out.stdout.match(/tick \d+\n/g)?.length ?? 0) > seen + 2 ? true : undefined,
    );
    expect(follow.out.code).toBeUndefined();
    follow.child.kill('SIGTERM');
    await follow.exited;
    expect(follow.out.stdout).toMatch(/^tick 1\ntick 2\ntick 3\n/);
  });

  it('kubectl logs --previous shows the last terminated attempt', async () => {
    const before = await kubectl(['logs', 'logger', '--previous']);
    expect(before.code).toBe(1);
    expect(before.stderr).toContain('previous terminated container "main" in pod "logger" not found');
    await eventually('crasher restarted', async () => {
      const p = await api.get<Pod>(PODS, 'crasher', { namespace: 'default' });
      return (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1 ? true : undefined;
    });
    const prev = await kubectl(['logs', 'crasher', '--previous', '--timestamps']);
    expect(prev.stderr).toBe('');
    expect(prev.stdout).toMatch(/^\S+ run at \d/);
    const cur = await eventually('current attempt logged', async () => {
      const r = await kubectl(['logs', 'crasher', '--timestamps']);
      return r.stdout.includes('run at') ? r : undefined;
    });
    expect(cur.stdout).not.toBe(prev.stdout);
  });

  it('kubectl exec propagates the exit code and both output streams', async () => {
    const r = await kubectl(['exec', 'logger', '--', 'sh', '-c', 'echo hi; echo there >&2; exit 3']);
    expect(r.stdout).toBe('hi\n');
    expect(r.stderr).toContain('there\n');
    expect(r.stderr).toContain('command terminated with exit code 3');
    expect(r.code).toBe(3);
    const ok = await kubectl(['exec', 'logger', '--', 'cat', '/proc/1/cmdline']);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('sleep');
    expect(await streamsMetric('exec', 'websocket-v5')).toBeGreaterThanOrEqual(2);
  });

  it('kubectl exec -i passes stdin to the command and its end as EOF', async () => {
    const r = await kubectl(['exec', '-i', 'logger', '--', 'sh', '-c', 'wc -l; echo done'], 'a\nb\nc\n');
    expect(r.stderr).toBe('');
    expect(r.stdout.trim().split(/\s+/)).toEqual(['3', 'done']);
    expect(r.code).toBe(0);
  });

  it("kubectl exec -it runs the command on a terminal of the size of kubectl's own", async () => {
    // `script` gives kubectl a pseudo-terminal (40x100), as a person's shell would.
    const cmd = `stty rows 40 cols 100; ${KUBECTL} --kubeconfig ${server.kubeconfig} exec -it logger -- sh -c 'sleep 0.2; tty; stty size; exit 5'`;
    const k = spawn('script', ['-qec', cmd, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(k);
    let out = '';
    k.stdout.on('data', (d) => (out += d));
    k.stderr.on('data', (d) => (out += d));
    const code = await new Promise<number | null>((resolve) => k.on('close', resolve));
    children.delete(k);
    expect(out).toMatch(/\/dev\/pts\/\d+\r\n40 100\r\n/);
    expect(out).toContain('command terminated with exit code 5');
    expect(code).toBe(5);
  });

  it('kubectl attach streams the output of the running container', async () => {
    const k = startKubectl(['attach', 'ticker', '-c', 'main']);
    await eventually('ticks through attach', async () =>
      (k.out.stdout.match(/tick \d+\n/g)?.length ?? 0) >= 2 ? true : undefined,
    );
    k.child.kill('SIGTERM');
    await k.exited;
    expect(await streamsMetric('attach', 'websocket-v5')).toBeGreaterThanOrEqual(1);
  });

  it('kubectl cp copies a file into the pod and back (tar over exec, stdin and binary stdout)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-cp-'));
    try {
      const payload = Buffer.from(Array.from({ length: 200_000 }, (_, i) => (i * 7919) % 256));
      await writeFile(join(dir, 'in.bin'), payload);
      const up = await kubectl(
        ['cp', join(dir, 'in.bin'), 'default/logger:/tmp/copied.bin', '-c', 'main'],
        undefined,
        60_000,
      );
      expect(up.stderr).toBe('');
      expect(up.code).toBe(0);
      const down = await kubectl(
        ['cp', 'default/logger:/tmp/copied.bin', join(dir, 'out.bin'), '-c', 'main'],
        undefined,
        60_000,
      );
      expect(down.code).toBe(0);
      expect((await readFile(join(dir, 'out.bin'))).equals(payload)).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('kubectl exec falls back to SPDY when WebSockets are off, exit code included', async () => {
    const r = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const k = startKubectl(
        ['exec', '-i', 'logger', '--', 'sh', '-c', 'cat; exit 4'],
        { KUBECTL_REMOTE_COMMAND_WEBSOCKETS: 'false' },
        'piped\n',
      );
      k.exited.then((code) => resolve({ code, stdout: k.out.stdout, stderr: k.out.stderr }));
    });
    expect(r.code).toBe(4);
    expect(r.stdout).toBe('piped\n');
    expect(r.stderr).toContain('command terminated with exit code 4');
    expect(await streamsMetric('exec', 'replay')).toBeGreaterThanOrEqual(1);
  });

  it('kubectl exec into a missing container reports the error', async () => {
    const r = await kubectl(['exec', 'logger', '-c', 'nope', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('container nope is not valid for pod logger');
  });

  for (const [mode, env, protocol] of [
    ['tunnelled in WebSocket', {}, 'spdy-tunnel'],
    ['over plain SPDY', { KUBECTL_PORT_FORWARD_WEBSOCKETS: 'false' }, 'replay'],
  ] as const) {
    it(`kubectl port-forward reaches an HTTP server in the pod (${mode})`, async () => {
      const before = await streamsMetric('portForward', protocol);
      const local = await freePort();
      const pf = startKubectl(['port-forward', 'pod/web', `${local}:${httpPort}`], env);
      await eventually('port-forward listening', async () =>
        pf.out.stdout.includes('Forwarding from') ? true : undefined,
      );
      for (let i = 0; i < 3; i++) {
        const res = await request(`http://127.0.0.1:${local}/index.html`);
        expect(res.statusCode).toBe(200);
        expect(await res.body.text()).toBe('hello-through-port-forward\n');
      }
      expect(pf.out.code).toBeUndefined();
      pf.child.kill('SIGTERM');
      await pf.exited;
      expect(await streamsMetric('portForward', protocol)).toBe(before + 1);
    });
  }
});
