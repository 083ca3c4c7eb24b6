import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { freePort } from './ports.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../..');
export const SKIFF_BIN = join(REPO_ROOT, 'bin/skiff');

export interface TestServer {
  dataDir: string;
  port: number;
  url: string;
  kubeconfig: string;
  etcdPort: number;
  process: ChildProcess;
  logs: () => string;
  /** HTTPS request with the admin client certificate. */
  fetch(
    method: string,
    path: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    json: () => any;
  }>;
  stop(): Promise<void>;
}

/**
 * Flags that keep `skiff server` to the API alone, so tests of a component run theirs without
 * the in-process one competing. Pass `{ components: true }` for the whole control plane.
 */
export const API_ONLY_FLAGS = ['--disable-scheduler', '--disable-controller-manager'];

/** Servers started by this process and not yet exited: stopped when the process exits, so a
 * test that timed out before its stop() leaves no server (and etcd) running behind. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGTERM');
});

export async function startSkiffServer(
  extraArgs: string[] = [],
  opts: {
    components?: boolean;
    /** Run inside this network namespace (`/run/netns/<name>`) via nsenter; fetch() cannot reach it then. */
    netns?: string;
    env?: Record<string, string>;
  } = {},
): Promise<TestServer> {
  if (!existsSync(join(REPO_ROOT, 'dist/bin/main.js'))) {
    throw new Error('skiff is not built: run `npm run build` (npm test does it) before the e2e suite');
  }
  if (!existsSync('/usr/bin/etcd'))
    throw new Error('etcd is missing: install etcd-server (scripts/host-packages.sh)');
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-e2e-'));
  const port = await freePort();
  const etcdPort = await freePort();
  const peerPort = await freePort();
  let output = '';
  const argv = [
    'server',
    '--data-dir',
    dataDir,
    '--secure-port',
    String(port),
    '--bind-address',
    '127.0.0.1',
    '--etcd-client-port',
    String(etcdPort),
    '--etcd-peer-port',
    String(peerPort),
    ...(opts.components ? [] : API_ONLY_FLAGS),
    ...extraArgs,
  ];
  const child = spawn(
    opts.netns ? 'nsenter' : SKIFF_BIN,
    opts.netns ? [`--net=/run/netns/${opts.netns}`, SKIFF_BIN, ...argv] : argv,
    {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, SKIFF_LOG_LEVEL: process.env.SKIFF_LOG_LEVEL ?? 'warn', ...opts.env },
    },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  const kubeconfig = join(dataDir, 'admin.kubeconfig');
  const deadline = Date.now() + 60_000;
  while (!existsSync(kubeconfig)) {
    if (child.exitCode !== null) throw new Error(`skiff server exited with ${child.exitCode}:\n${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`skiff server did not become ready in 60s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const tls = await readTls(dataDir);
  const dispatcher = new Agent({ connect: { ca: tls.ca, cert: tls.cert, key: tls.key } });
  const url = `https://127.0.0.1:${port}`;
  return {
    dataDir,
    port,
    url,
    kubeconfig,
    etcdPort,
    process: child,
    logs: () => output,
    async fetch(method, path, body, headers = {}) {
      const res = await request(url + path, {
        method: method as 'GET',
        dispatcher,
        headers: { 'content-type': 'application/json', ...headers },
        body:
          body === undefined
            ? undefined
            : typeof body === 'string' || Buffer.isBuffer(body)
              ? body
              : JSON.stringify(body),
      });
      const text = await res.body.text();
      return { status: res.statusCode, headers: res.headers, text, json: () => JSON.parse(text) };
    },
    async stop() {
      await dispatcher.close();
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

async function readTls(dataDir: string): Promise<{ ca: string; cert: string; key: string }> {
  const dir = join(dataDir, 'tls');
  const [ca, cert, key] = await Promise.all(
    ['ca.crt', 'admin.crt', 'admin.key'].map((f) => readFile(join(dir, f), 'utf8')),
  );
  return { ca, cert, key };
}
