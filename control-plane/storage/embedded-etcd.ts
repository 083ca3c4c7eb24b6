import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { SkiffError } from '../../api/errors.js';
import { http } from '../../api/node-http.js';

export interface EmbeddedEtcdOptions {
  dataDir: string;
  clientPort?: number;
  peerPort?: number;
  log: Logger;
  binary?: string;
  /** How long start() waits for etcd to answer. */
  startTimeoutMs?: number;
}

const QUOTA_BACKEND_BYTES = 2 * 1024 * 1024 * 1024;
const MAX_RESTART_DELAY_MS = 30_000;
/** A child that stayed up this long is healthy again: the restart backoff starts over. */
const STABLE_AFTER_MS = 60_000;

/** The etcd command line for a single loopback member named `skiff`. */
export function embeddedEtcdArgs(dataDir: string, clientPort: number, peerPort: number): string[] {
  const client = `http://127.0.0.1:${clientPort}`;
  const peer = `http://127.0.0.1:${peerPort}`;
  return [
    '--name=skiff',
    `--data-dir=${dataDir}`,
    `--listen-client-urls=${client}`,
    `--advertise-client-urls=${client}`,
    `--listen-peer-urls=${peer}`,
    `--initial-advertise-peer-urls=${peer}`,
    `--initial-cluster=skiff=${peer}`,
    '--initial-cluster-state=new',
    `--quota-backend-bytes=${QUOTA_BACKEND_BYTES}`,
    // skiff's compactor compacts; etcd's own periodic compaction stays off.
    '--auto-compaction-retention=0',
    // Fewer raft entries kept in memory between snapshots than the default 100,000.
    '--snapshot-count=10000',
    '--logger=zap',
    '--log-outputs=stderr',
    '--log-level=warn',
  ];
}

/** Runs etcd as a supervised child process on loopback: the default datastore of `skiff server`. */
export class EmbeddedEtcd {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = 1_000;
  private startedAt = 0;
  private stderrTail = '';
  private readonly clientPort: number;
  private readonly peerPort: number;
  private readonly binary: string;
  restarts = 0;

  constructor(private readonly opts: EmbeddedEtcdOptions) {
    this.clientPort = opts.clientPort ?? 2379;
    this.peerPort = opts.peerPort ?? 2380;
    this.binary = opts.binary ?? '/usr/bin/etcd';
  }

  get clientUrl(): string {
    return `http://127.0.0.1:${this.clientPort}`;
  }

  /** The running child's pid (tests kill it to check supervision). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<string> {
    if (!existsSync(this.binary)) {
      throw new SkiffError(
        'SKIFF_ETCD_MISSING',
        `etcd binary not found at ${this.binary}: install etcd-server or pass --etcd-servers`,
      );
    }
    await mkdir(this.opts.dataDir, { recursive: true, mode: 0o700 });
    await this.killStaleChild();
    for (const [what, port] of [
      ['client', this.clientPort],
      ['peer', this.peerPort],
    ] as const) {
      if (!(await portFree(port))) {
        throw new SkiffError(
          'SKIFF_ETCD_PORT_IN_USE',
          `cannot start embedded etcd: ${what} port 127.0.0.1:${port} is already in use (another etcd or skiff server running?); choose another with --etcd-${what}-port or use --etcd-servers`,
        );
      }
    }
    this.stopping = false;
    this.spawnChild();
    await this.waitReady(this.opts.startTimeoutMs ?? 30_000);
    this.opts.log.info({ url: this.clientUrl, dataDir: this.opts.dataDir }, 'embedded etcd started');
    return this.clientUrl;
  }

  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      this.opts.log.warn({ pid: child.pid }, 'embedded etcd did not stop in time, killing it');
      child.kill('SIGKILL');
    }, timeoutMs);
    await exited;
    clearTimeout(timer);
  }

  private get pidFile(): string {
    return join(this.opts.dataDir, 'skiff-etcd.pid');
  }

  /**
   * A skiff server that was SIGKILLed leaves its etcd child running on the same data dir and
   * ports: recognise it by the pid file and its command line, and stop it before starting anew.
   */
  private async killStaleChild(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(`--data-dir=${this.opts.dataDir}\0`)) return;
    this.opts.log.warn({ pid }, 'stopping an embedded etcd left running by a previous skiff');
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      return;
    }
    for (let i = 0; i < 100 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
  }

  private spawnChild(): void {
    const args = embeddedEtcdArgs(this.opts.dataDir, this.clientPort, this.peerPort);
    // Its own process group: a terminal's Ctrl-C reaches skiff alone, which then stops etcd last,
    // after the API, instead of etcd dying first and being "restarted" during shutdown.
    const child = spawn(this.binary, args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    this.child = child;
    this.startedAt = Date.now();
    if (child.pid) {
      writeFile(this.pidFile, `${child.pid}\n`).catch((err: unknown) =>
        this.opts.log.warn({ err: String(err) }, 'cannot write the etcd pid file'),
      );
    }
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4096);
      for (const line of d.split('\n')) if (line.trim()) this.opts.log.warn({ line }, 'etcd output');
    });
    child.on('error', (err) => this.opts.log.error({ err }, 'embedded etcd could not be spawned'));
    child.on('exit', (code, signal) => {
      if (this.child !== child) return;
      if (this.stopping) {
        rm(this.pidFile, { force: true }).catch(() => undefined);
        this.opts.log.info({ code, signal }, 'embedded etcd stopped');
        return;
      }
      if (Date.now() - this.startedAt > STABLE_AFTER_MS) this.restartDelayMs = 1_000;
      const delay = this.restartDelayMs;
      this.restartDelayMs = Math.min(this.restartDelayMs * 2, MAX_RESTART_DELAY_MS);
      this.opts.log.error(
        { code, signal, restartInMs: delay, stderr: this.stderrTail.slice(-1024) },
        'embedded etcd exited unexpectedly, restarting',
      );
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        this.spawnChild();
      }, delay);
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = this.child;
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        this.stopping = true;
        throw new SkiffError(
          'SKIFF_ETCD_START_FAILED',
          `embedded etcd exited during startup (code ${child.exitCode}): ${this.stderrTail.slice(-1024)}`,
        );
      }
      if (await etcdAnswers(this.clientUrl)) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new SkiffError(
          'SKIFF_ETCD_START_FAILED',
          `embedded etcd did not answer on ${this.clientUrl} within ${timeoutMs} ms: ${this.stderrTail.slice(-1024)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/**
 * True when etcd's /health endpoint on `url` (plain HTTP, loopback) reports healthy. Plain
 * node:http rather than fetch, which would load Node's bundled undici into the API server.
 */
export function etcdAnswers(url: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get(`${url}/health`, { timeout: 1_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
      });
      res.on('end', () => {
        try {
          resolve(res.statusCode === 200 && (JSON.parse(body) as { health?: string }).health === 'true');
        } catch {
          resolve(false);
        }
      });
      res.on('error', () => resolve(false));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
  });
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}
