import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.js';

export interface TestEtcd {
  /** `http://127.0.0.1:<port>` */
  endpoint: string;
  dataDir: string;
  /** SIGTERM, wait, and remove the data dir. */
  stop(): Promise<void>;
  /** SIGKILL (keeps the data dir, for restart()). */
  kill(): Promise<void>;
  /** Starts etcd again on the same ports and data (after kill(), or restarts a running one). */
  restart(): Promise<void>;
}

const ETCD = '/usr/bin/etcd';

/** Children still running when the test process exits (a crashed or interrupted run) are killed, not orphaned. */
const live = new Set<ChildProcess>();
let exitHook = false;
function track(c: ChildProcess): void {
  live.add(c);
  c.once('exit', () => live.delete(c));
  if (exitHook) return;
  exitHook = true;
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

/** Starts a throwaway single-member etcd on free loopback ports in a fresh temp dir. */
export async function startTestEtcd(): Promise<TestEtcd> {
  if (!existsSync(ETCD))
    throw new Error(`etcd is missing at ${ETCD}: install etcd-server (scripts/host-packages.sh)`);
  const dataDir = await mkdtemp(join(tmpdir(), 'skiff-etcd-'));
  const clientPort = await freePort();
  let peerPort = await freePort();
  while (peerPort === clientPort) peerPort = await freePort();
  const endpoint = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  const args = [
    '--name=test',
    `--data-dir=${join(dataDir, 'data')}`,
    `--listen-client-urls=${endpoint}`,
    `--advertise-client-urls=${endpoint}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=test=${peer}`,
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=error',
  ];
  let child: ChildProcess | undefined;
  let output = '';

  const running = () => child !== undefined && child.exitCode === null && child.signalCode === null;
  const waitExit = async (c: ChildProcess) => {
    if (c.exitCode !== null || c.signalCode !== null) return;
    await new Promise<void>((resolve) => c.once('exit', () => resolve()));
  };
  const launch = async () => {
    output = '';
    const c = spawn(ETCD, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    child = c;
    track(c);
    c.stderr?.on('data', (d) => {
      output = (output + String(d)).slice(-8192);
    });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (c.exitCode !== null || c.signalCode !== null)
        throw new Error(`test etcd exited (${c.exitCode ?? c.signalCode}):\n${output}`);
      if (await healthy(endpoint)) return;
      if (Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`test etcd did not become healthy on ${endpoint} in 30s:\n${output}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  await launch();
  return {
    endpoint,
    dataDir,
    async stop() {
      if (child && running()) {
        const c = child;
        c.kill('SIGTERM');
        const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
        await waitExit(c);
        clearTimeout(timer);
      }
      await rm(dataDir, { recursive: true, force: true });
    },
    async kill() {
      if (child && running()) {
        const c = child;
        c.kill('SIGKILL');
        await waitExit(c);
      }
    },
    async restart() {
      if (child && running()) {
        const c = child;
        c.kill('SIGTERM');
        await waitExit(c);
      }
      await launch();
    },
  };
}

async function healthy(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(`${endpoint}/health`, { signal: AbortSignal.timeout(1_000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}
