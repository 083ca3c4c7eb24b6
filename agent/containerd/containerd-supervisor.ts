import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import { CriClient } from '../../shim/index.js';
import { type ContainerdConfigOptions, renderContainerdConfig } from './containerd-config.js';

const MAX_RESTART_DELAY_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

export interface ContainerdSupervisorOptions extends Omit<ContainerdConfigOptions, 'socket'> {
  /** `unix:///run/containerd/containerd.sock` */
  endpoint: string;
  /** Where the config file and pid file go. */
  configDir: string;
  log: Logger;
  binary?: string;
  startTimeoutMs?: number;
}

/** True when a CRI runtime answers Version on `endpoint`. */
export async function criAnswers(endpoint: string, timeoutMs = 2_000): Promise<boolean> {
  const cri = new CriClient({ endpoint, timeoutMs });
  try {
    await cri.runtime.version();
    return true;
  } catch {
    return false;
  } finally {
    cri.close();
  }
}

/**
 * Runs containerd with skiff's configuration when no runtime answers on the endpoint (hosts
 * without a containerd service, like `npm run up` on a fresh machine), and restarts it if it
 * dies. A runtime that already answers is used as it is. Stopping containerd leaves the
 * pods' shims and containers running, as a containerd service restart does; the kubelet
 * adopts them when it comes back.
 */
export class ContainerdSupervisor {
  private child: ChildProcess | undefined;
  private stopping = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = 1_000;
  private startedAt = 0;
  private stderrTail = '';
  private readonly socket: string;
  private readonly binary: string;
  restarts = 0;

  constructor(private readonly o: ContainerdSupervisorOptions) {
    this.socket = o.endpoint.replace(/^unix:\/\//, '');
    this.binary = o.binary ?? '/usr/bin/containerd';
  }

  get configPath(): string {
    return join(this.o.configDir, 'containerd.toml');
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Resolves 'external' when a runtime already answers, else starts ours and resolves 'started'. */
  async ensure(): Promise<'external' | 'started'> {
    if (await criAnswers(this.o.endpoint)) {
      this.o.log.info({ endpoint: this.o.endpoint }, 'using the running container runtime');
      return 'external';
    }
    if (!existsSync(this.binary))
      throw new Error(
        `no container runtime answers on ${this.o.endpoint} and ${this.binary} is missing: install containerd (scripts/host-packages.sh)`,
      );
    for (const d of [this.o.configDir, this.o.root, this.o.state, dirname(this.socket), this.o.cniConfDir])
      await mkdir(d, { recursive: true });
    await mkdir(this.o.registryConfigDir, { recursive: true });
    await writeFile(this.configPath, renderContainerdConfig({ ...this.o, socket: this.socket }));
    await this.killStale();
    // A socket file left by a dead containerd would make it fail to listen.
    await rm(this.socket, { force: true });
    this.stopping = false;
    this.spawnChild();
    await this.waitReady(this.o.startTimeoutMs ?? 30_000);
    this.o.log.info({ endpoint: this.o.endpoint, config: this.configPath }, 'containerd started');
    return 'started';
  }

  async stop(timeoutMs = 15_000): Promise<void> {
    this.stopping = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    await exited;
    clearTimeout(timer);
    await rm(this.pidFile, { force: true });
  }

  private get pidFile(): string {
    return join(this.o.configDir, 'containerd.pid');
  }

  /** A containerd of ours left running by a killed agent, on the same config: stop it first. */
  private async killStale(): Promise<void> {
    const pid = Number((await readFile(this.pidFile, 'utf8').catch(() => '')).trim());
    if (!Number.isInteger(pid) || pid <= 0) return;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmdline.includes(`${this.configPath}\0`)) return;
    this.o.log.warn({ pid }, 'stopping a containerd left running by a previous skiff');
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      return;
    }
    for (let i = 0; i < 200 && existsSync(`/proc/${pid}`); i++) await new Promise((r) => setTimeout(r, 50));
  }

  private spawnChild(): void {
    // Own process group: Ctrl-C on a terminal reaches skiff only, which stops containerd last.
    const child = spawn(this.binary, ['--config', this.configPath], {
      stdio: ['ignore', 'ignore', 'pipe'],
      detached: true,
    });
    this.child = child;
    this.startedAt = Date.now();
    if (child.pid) void writeFile(this.pidFile, `${child.pid}\n`).catch(() => undefined);
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (d: string) => {
      this.stderrTail = (this.stderrTail + d).slice(-4096);
      for (const line of d.split('\n')) if (line.trim()) this.o.log.warn({ line }, 'containerd output');
    });
    child.on('error', (err) => this.o.log.error({ err }, 'containerd could not be spawned'));
    child.on('exit', (code, signal) => {
      if (this.child !== child || this.stopping) return;
      if (Date.now() - this.startedAt > STABLE_AFTER_MS) this.restartDelayMs = 1_000;
      const delay = this.restartDelayMs;
      this.restartDelayMs = Math.min(delay * 2, MAX_RESTART_DELAY_MS);
      this.o.log.error(
        { code, signal, restartInMs: delay, stderr: this.stderrTail.slice(-1024) },
        'containerd exited unexpectedly, restarting',
      );
      this.restartTimer = setTimeout(() => {
        if (this.stopping) return;
        this.restarts++;
        void rm(this.socket, { force: true }).then(() => this.spawnChild());
      }, delay);
    });
  }

  private async waitReady(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const child = this.child;
      if (child && (child.exitCode !== null || child.signalCode !== null)) {
        this.stopping = true;
        throw new Error(
          `containerd exited during startup (code ${child.exitCode}): ${this.stderrTail.slice(-1024)}`,
        );
      }
      if (existsSync(this.socket) && (await criAnswers(this.o.endpoint, 1_000))) return;
      if (Date.now() > deadline) {
        await this.stop();
        throw new Error(
          `containerd did not answer on ${this.o.endpoint} within ${timeoutMs} ms: ${this.stderrTail.slice(-1024)}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
