import { readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { CriClient } from '../shim/index.js';

export interface LogRotationOptions {
  cri: CriClient;
  log: Logger;
  /** Rotate a container's log once it is larger than this (upstream containerLogMaxSize, 10Mi). */
  maxSizeBytes?: number;
  /** Files kept per container, the live one included (upstream containerLogMaxFiles, 5). */
  maxFiles?: number;
  /** How often logs are checked. Default 10 s. */
  periodMs?: number;
  now?: () => Date;
}

const DEFAULT_MAX_SIZE = 10 * 1024 * 1024;
const DEFAULT_MAX_FILES = 5;

/** `0.log.20240501-120000.123` — sortable, as upstream's rotated names. */
function rotatedName(path: string, now: Date): string {
  const t = now.toISOString().replace(/[-:]/g, '').replace('T', '-').replace('Z', '');
  return `${path}.${t}`;
}

/**
 * Rotates the CRI log files of running containers as upstream's container log manager does:
 * a log over the size limit is renamed aside and the runtime reopens the original path
 * (ReopenContainerLog); the oldest rotated files beyond the limit are removed.
 */
export class LogRotation {
  private readonly maxSize: number;
  private readonly maxFiles: number;

  constructor(private readonly o: LogRotationOptions) {
    this.maxSize = o.maxSizeBytes ?? DEFAULT_MAX_SIZE;
    this.maxFiles = Math.max(2, o.maxFiles ?? DEFAULT_MAX_FILES);
  }

  async run(signal: AbortSignal): Promise<void> {
    const period = this.o.periodMs ?? 10_000;
    while (!signal.aborted) {
      await this.sync().catch((e) => this.o.log.warn({ err: String(e) }, 'container log rotation failed'));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, period);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async sync(): Promise<void> {
    const containers = await this.o.cri.runtime.listContainers({ state: { state: 'CONTAINER_RUNNING' } });
    for (const c of containers) {
      const status = (await this.o.cri.runtime.containerStatus(c.id).catch(() => undefined))?.status;
      const path = status?.logPath;
      if (!path) continue;
      await this.rotateIfNeeded(c.id, path).catch((e) =>
        this.o.log.warn({ err: String(e), container: c.id, path }, 'container log not rotated'),
      );
    }
  }

  private async rotateIfNeeded(id: string, path: string): Promise<void> {
    const size = (await stat(path).catch(() => undefined))?.size ?? 0;
    if (size <= this.maxSize) return;
    const rotated = rotatedName(path, (this.o.now ?? (() => new Date()))());
    await rename(path, rotated);
    try {
      await this.o.cri.runtime.reopenContainerLog(id);
    } catch (e) {
      // The runtime still writes to the renamed file: put it back rather than lose the stream.
      await rename(rotated, path).catch(() => undefined);
      throw e;
    }
    this.o.log.debug({ container: id, path, size }, 'container log rotated');
    await this.removeOldest(path);
  }

  private async removeOldest(path: string): Promise<void> {
    const dir = dirname(path);
    const prefix = `${basename(path)}.`;
    const rotated = (await readdir(dir)).filter((n) => n.startsWith(prefix)).sort();
    const excess = rotated.length - (this.maxFiles - 1);
    for (const name of rotated.slice(0, Math.max(0, excess)))
      await unlink(join(dir, name)).catch(() => undefined);
  }
}
