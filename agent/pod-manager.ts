import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/rest-client.js';
import type { CriClient } from '../shim/index.js';
import { POD_UID_LABEL } from './labels.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import { PODS } from './resources.js';

/** How often every pod is synced again (container exits, back-off expiry) and orphans are looked for. */
const RESYNC_MS = 1000;

export interface PodManagerOptions extends Omit<PodWorkerDeps, 'log'> {
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  nodeName: string;
}

/**
 * The pods bound to this node (an informer on spec.nodeName) and one PodWorker per pod uid.
 * Sandboxes whose io.kubernetes.pod.uid belongs to no known pod get a worker too, which
 * stops and removes them (orphans, also those left from before a kubelet restart).
 */
export class PodManager {
  private readonly workers = new Map<string, PodWorker>();
  private readonly informer: Informer<Pod>;
  private readonly log: Logger;
  private stopped = false;
  private scanFailing = false;

  constructor(private readonly o: PodManagerOptions) {
    this.log = o.log.child({ component: 'pod-manager' });
    this.informer = new Informer<Pod>(o.api, PODS, {
      fieldSelector: `spec.nodeName=${o.nodeName}`,
      log: this.log,
    });
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    this.informer.addEventHandler({
      onAdd: (p) => this.upsert(p),
      onUpdate: (_old, p) => this.upsert(p),
      onDelete: (p) => this.gone(p),
    });
    const informerDone = this.informer.start(signal);
    await this.informer.waitForSync(signal);
    this.log.info({ pods: this.informer.store.list().length }, 'pod informer synced');
    while (!signal.aborted) {
      await this.findOrphans().then(
        () => {
          this.scanFailing = false;
        },
        (e: unknown) => {
          // The runtime being down is reported by the node status; say it here once.
          if (!this.scanFailing) this.log.warn({ err: String(e) }, 'orphan scan failed');
          this.scanFailing = true;
        },
      );
      for (const [uid, w] of this.workers) {
        if (w.finished) this.workers.delete(uid);
        else void w.kick();
      }
      await new Promise((r) => {
        const t = setTimeout(r, RESYNC_MS);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    this.stopped = true;
    // The runtime connection closes after this: let syncs in flight finish first.
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
    await informerDone;
  }

  /** Syncs the pod with this uid soon (e.g. a probe result changed). */
  kick(uid: string): void {
    const w = this.workers.get(uid);
    if (w && !this.stopped) void w.kick();
  }

  private worker(uid: string, pod: Pod | undefined): PodWorker {
    let w = this.workers.get(uid);
    if (!w || w.finished) {
      w = new PodWorker({ ...this.o, log: this.o.log.child({ component: 'pod-worker' }) }, uid, pod);
      this.workers.set(uid, w);
    }
    return w;
  }

  private upsert(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const w = this.worker(uid, pod);
    w.pod = pod;
    if (!this.stopped) void w.kick();
  }

  private gone(pod: Pod): void {
    const uid = pod.metadata?.uid;
    if (!uid) return;
    const w = this.worker(uid, undefined);
    w.pod = undefined;
    if (!this.stopped) void w.kick();
  }

  private async findOrphans(): Promise<void> {
    const known = new Set(this.informer.store.list().map((p) => p.metadata?.uid));
    for (const s of await this.o.cri.runtime.listPodSandbox()) {
      const uid = s.labels[POD_UID_LABEL];
      if (!uid || known.has(uid) || this.workers.has(uid)) continue;
      this.log.info({ uid, sandbox: s.id }, 'orphaned pod sandbox found');
      this.worker(uid, undefined);
    }
  }
}
