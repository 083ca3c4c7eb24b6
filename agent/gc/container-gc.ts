import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { type Container, type CriClient, isCriNotFound } from '../../shim/index.js';
import { POD_UID_LABEL } from '../labels.js';
import {
  type ContainerGcPolicy,
  DEFAULT_CONTAINER_GC_POLICY,
  type IsPodKnown,
  planContainerRemoval,
  planSandboxRemoval,
  unitOf,
} from './container-gc-plan.js';
import { gcMetrics } from './gc-metrics.js';

export interface ContainerGcOptions {
  cri: CriClient;
  log: Logger;
  /** Whether the kubelet still has the pod with this uid (API or static pod). */
  isPodKnown: IsPodKnown;
  /**
   * Whether every pod source has been read once (the pod informer synced, static manifests
   * loaded). Until then no container or sandbox is removed for its pod being unknown.
   */
  sourcesReady: () => boolean;
  policy?: Partial<ContainerGcPolicy>;
  /** The pod log root (/var/log/pods): directories of gone pods without sandboxes are removed. */
  podLogsDir?: string;
  now?: () => number;
}

export interface ContainerGcResult {
  /** Ids of removed containers. */
  containers: string[];
  /** Ids of removed sandboxes. */
  sandboxes: string[];
  /** Removed pod log directories. */
  logDirs: string[];
  /** Removals that failed (logged; the next run tries again). */
  failures: number;
}

/** `<namespace>_<name>_<uid>`: namespaces and names cannot hold `_`. */
const logDirUid = (dir: string): string | undefined => {
  const parts = dir.split('_');
  return parts.length === 3 && parts[2] ? parts[2] : undefined;
};

/**
 * Removes dead containers and sandboxes as upstream's container GC (runs every minute there):
 * for each (pod, container name), the newest dead attempts beyond `maxPerPodContainer` go,
 * all dead ones of pods the kubelet no longer has go, and so do inactive sandboxes. Running
 * containers are never touched. Talks to the runtime only through the CRI shim.
 */
export class ContainerGc {
  private readonly policy: ContainerGcPolicy;
  private readonly now: () => number;

  constructor(private readonly o: ContainerGcOptions) {
    this.policy = { ...DEFAULT_CONTAINER_GC_POLICY, ...o.policy };
    this.now = o.now ?? Date.now;
  }

  async sync(): Promise<ContainerGcResult> {
    const rt = this.o.cri.runtime;
    const result: ContainerGcResult = { containers: [], sandboxes: [], logDirs: [], failures: 0 };
    const sourcesReady = this.o.sourcesReady();
    const input = { isPodKnown: this.o.isPodKnown, sourcesReady };

    const all = await rt.listContainers();
    const newestAttempt = new Map<string, number>();
    for (const c of all) {
      const unit = unitOf(c);
      if (unit) newestAttempt.set(unit, Math.max(newestAttempt.get(unit) ?? 0, c.metadata?.attempt ?? 0));
    }
    for (const c of planContainerRemoval(all, { ...input, policy: this.policy, nowMs: this.now() })) {
      if (await this.removeContainer(c, newestAttempt, sourcesReady)) result.containers.push(c.id);
      else result.failures++;
    }

    const [sandboxes, left] = await Promise.all([rt.listPodSandbox(), rt.listContainers()]);
    for (const s of planSandboxRemoval(sandboxes, left, input)) {
      try {
        // Normally stopped already; stopping first guards against a sandbox that was not.
        await rt.stopPodSandbox(s.id);
        await rt.removePodSandbox(s.id);
        result.sandboxes.push(s.id);
        gcMetrics.sandboxes().inc();
        this.o.log.info({ sandbox: s.id, uid: s.metadata?.uid }, 'dead pod sandbox removed');
      } catch (e) {
        if (isCriNotFound(e)) continue;
        result.failures++;
        gcMetrics.failures().inc();
        this.o.log.warn({ sandbox: s.id, err: String(e) }, 'pod sandbox removal failed');
      }
    }

    if (this.o.podLogsDir && sourcesReady) {
      const remaining = new Set(
        sandboxes
          .filter((s) => !result.sandboxes.includes(s.id))
          .map((s) => s.metadata?.uid || s.labels[POD_UID_LABEL]),
      );
      result.logDirs = await this.removePodLogDirs(this.o.podLogsDir, remaining);
    }
    if (result.containers.length || result.sandboxes.length || result.logDirs.length || result.failures)
      this.o.log.info(
        {
          containers: result.containers.length,
          sandboxes: result.sandboxes.length,
          logDirs: result.logDirs.length,
          failures: result.failures,
        },
        'container garbage collection done',
      );
    return result;
  }

  /**
   * Removes a dead container and, as upstream, its log file; but the file of the attempt just
   * before the newest stays while the pod exists (`kubectl logs --previous` reads it).
   */
  private async removeContainer(
    c: Container,
    newestAttempt: Map<string, number>,
    sourcesReady: boolean,
  ): Promise<boolean> {
    const rt = this.o.cri.runtime;
    const uid = c.labels[POD_UID_LABEL] ?? '';
    try {
      const logPath = (await rt.containerStatus(c.id)).status?.logPath;
      await rt.removeContainer(c.id);
      gcMetrics.containers().inc();
      this.o.log.info(
        { container: c.id, uid, name: c.metadata?.name, attempt: c.metadata?.attempt },
        'dead container removed',
      );
      const attempt = c.metadata?.attempt ?? 0;
      const podGone = sourcesReady && !this.o.isPodKnown(uid);
      const keepLog = !podGone && attempt >= (newestAttempt.get(unitOf(c) ?? '') ?? 0) - 1;
      if (logPath && !keepLog) await rm(logPath, { force: true }).catch(() => undefined);
      return true;
    } catch (e) {
      if (isCriNotFound(e)) return true;
      gcMetrics.failures().inc();
      this.o.log.warn({ container: c.id, err: String(e) }, 'dead container removal failed');
      return false;
    }
  }

  private async removePodLogDirs(root: string, withSandbox: Set<string | undefined>): Promise<string[]> {
    const removed: string[] = [];
    let entries: string[];
    try {
      entries = await readdir(root);
    } catch {
      return removed;
    }
    for (const name of entries) {
      const uid = logDirUid(name);
      if (!uid || withSandbox.has(uid) || this.o.isPodKnown(uid)) continue;
      const dir = join(root, name);
      try {
        await rm(dir, { recursive: true, force: true });
        removed.push(dir);
        this.o.log.info({ dir, uid }, 'log directory of a removed pod deleted');
      } catch (e) {
        this.o.log.warn({ dir, err: String(e) }, 'pod log directory removal failed');
      }
    }
    return removed;
  }
}
