import type { Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { Informer } from '../client/informer.js';
import type { ApiClient } from '../client/rest-client.js';
import type { CriClient } from '../shim/index.js';
import { POD_UID_LABEL } from './labels.js';
import { MirrorPods } from './mirror-pods.js';
import { PodWorker, type PodWorkerDeps } from './pod-worker.js';
import { PODS } from './resources.js';
import { isMirrorPod, StaticPodSource } from './static-pods.js';

/**
 * How often the runtime is relisted (one ListPodSandbox + one ListContainers for the node, as
 * upstream's PLEG): pods whose runtime state changed, or that are not yet steady (starting,
 * backing off, waiting for inputs), are synced; orphans are looked for.
 */
const RELIST_MS = 1000;
/** Steady pods are synced at least this often (volume sources refreshed, status re-checked). */
const FULL_RESYNC_MS = 10_000;
/** How often pod directories of pods that no longer exist are looked for. */
const ORPHAN_DIRS_MS = 60_000;

export interface PodManagerOptions extends Omit<PodWorkerDeps, 'log'> {
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  nodeName: string;
  /** --pod-manifest-path: static pods, mirrored into the API. */
  manifestDir?: string;
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
  private lastDirScan = 0;
  private synced = false;
  /** Static pods by uid, from the manifest directory. */
  private readonly staticPods = new Map<string, Pod>();
  private readonly mirrors: MirrorPods;
  private staticSource: StaticPodSource | undefined;

  constructor(private readonly o: PodManagerOptions) {
    this.log = o.log.child({ component: 'pod-manager' });
    this.informer = new Informer<Pod>(o.api, PODS, {
      fieldSelector: `spec.nodeName=${o.nodeName}`,
      log: this.log,
    });
    this.mirrors = new MirrorPods(o.api, o.nodeName, this.log.child({ component: 'mirror-pods' }));
  }

  /** Runs until the signal aborts. */
  async run(signal: AbortSignal): Promise<void> {
    // Mirror pods are the API's copies of static pods: the static pod's worker runs them.
    this.informer.addEventHandler({
      onAdd: (p) => isMirrorPod(p) || this.upsert(p),
      onUpdate: (_old, p) => isMirrorPod(p) || this.upsert(p),
      onDelete: (p) => isMirrorPod(p) || this.gone(p),
    });
    const informerDone = this.informer.start(signal);
    await this.informer.waitForSync(signal);
    this.log.info({ pods: this.informer.store.list().length }, 'pod informer synced');
    if (this.o.manifestDir) {
      this.staticSource = new StaticPodSource({
        dir: this.o.manifestDir,
        nodeName: this.o.nodeName,
        log: this.log.child({ component: 'static-pods' }),
        onChange: (pods) => this.setStaticPods(pods),
      });
      await this.staticSource.start();
    }
    this.synced = true;
    while (!signal.aborted) {
      const runtimeStates = await this.relist().then(
        (states) => {
          this.scanFailing = false;
          return states;
        },
        (e: unknown) => {
          // The runtime being down is reported by the node status; say it here once.
          if (!this.scanFailing) this.log.warn({ err: String(e) }, 'runtime relist failed');
          this.scanFailing = true;
          return undefined;
        },
      );
      if (this.o.manifestDir)
        await this.mirrors
          .sync(this.staticPods.values(), this.informer.store.list())
          .catch((e) => this.log.warn({ err: String(e) }, 'mirror pod sync failed'));
      if (Date.now() - this.lastDirScan > ORPHAN_DIRS_MS) {
        this.lastDirScan = Date.now();
        const active = new Set([...this.workers.keys(), ...this.staticPods.keys()]);
        for (const p of this.informer.store.list()) if (p.metadata?.uid) active.add(p.metadata.uid);
        await this.o.inputs
          .cleanupOrphans?.(active)
          .catch((e) => this.log.warn({ err: String(e) }, 'orphaned pod directory cleanup failed'));
      }
      const now = Date.now();
      for (const [uid, w] of this.workers) {
        if (w.finished) {
          this.workers.delete(uid);
          continue;
        }
        const state = runtimeStates?.get(uid) ?? '';
        const due =
          !runtimeStates || !w.steady || state !== w.seenRuntimeState || now - w.lastKickAt >= FULL_RESYNC_MS;
        if (!due) continue;
        w.seenRuntimeState = state;
        void w.kick();
      }
      await new Promise((r) => {
        const t = setTimeout(r, RELIST_MS);
        signal.addEventListener('abort', () => {
          clearTimeout(t);
          r(undefined);
        });
      });
    }
    this.stopped = true;
    this.staticSource?.stop();
    // The runtime connection closes after this: let syncs in flight finish first.
    await Promise.all([...this.workers.values()].map((w) => w.idle()));
    await informerDone;
  }

  /** Whether the pod with this uid is one the kubelet runs (API, static, or still being stopped). */
  isKnown(uid: string): boolean {
    // Every API pod of this node has a worker until it is gone from the runtime and the API.
    return this.workers.has(uid) || this.staticPods.has(uid);
  }

  /** True once the API pods are listed and the static manifests read: unknown pods are then really gone. */
  sourcesReady(): boolean {
    return this.synced;
  }

  /** The pods this kubelet runs: the API's (mirror pods excluded) and the static ones. */
  pods(): Pod[] {
    return [...this.informer.store.list().filter((p) => !isMirrorPod(p)), ...this.staticPods.values()];
  }

  /** Syncs the pod with this uid soon (e.g. a probe result changed). */
  kick(uid: string): void {
    const w = this.workers.get(uid);
    if (w && !this.stopped) void w.kick();
  }

  private setStaticPods(pods: Pod[]): void {
    const next = new Map(pods.map((p) => [p.metadata?.uid ?? '', p]));
    for (const [uid] of this.staticPods) {
      if (next.has(uid)) continue;
      this.staticPods.delete(uid);
      const w = this.workers.get(uid);
      if (w) {
        w.pod = undefined;
        if (!this.stopped) void w.kick();
      }
    }
    for (const [uid, pod] of next) {
      if (this.staticPods.has(uid)) continue;
      this.staticPods.set(uid, pod);
      if (!this.stopped) void this.worker(uid, pod).kick();
    }
    this.log.info({ staticPods: this.staticPods.size }, 'static pods changed');
  }

  private writeMirrorStatus = (pod: Pod, status: PodStatus): Promise<boolean> => {
    const mirror = this.informer.store.get(`${pod.metadata?.namespace}/${pod.metadata?.name}`);
    return this.mirrors.writeStatus(mirror && isMirrorPod(mirror) ? mirror : undefined, status);
  };

  private worker(uid: string, pod: Pod | undefined): PodWorker {
    let w = this.workers.get(uid);
    if (!w || w.finished) {
      const isStatic = this.staticPods.has(uid);
      w = new PodWorker(
        { ...this.o, log: this.o.log.child({ component: 'pod-worker' }) },
        uid,
        pod,
        isStatic ? this.writeMirrorStatus : undefined,
      );
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

  /**
   * Lists the node's sandboxes and containers once; returns a fingerprint of each pod uid's
   * runtime state (sandbox and container ids and states), and gives orphans a worker.
   */
  private async relist(): Promise<Map<string, string>> {
    const [sandboxes, containers] = await Promise.all([
      this.o.cri.runtime.listPodSandbox(),
      this.o.cri.runtime.listContainers(),
    ]);
    const uidOfSandbox = new Map<string, string>();
    const parts = new Map<string, string[]>();
    const add = (uid: string, part: string) => {
      const list = parts.get(uid);
      if (list) list.push(part);
      else parts.set(uid, [part]);
    };
    for (const s of sandboxes) {
      const uid = s.labels[POD_UID_LABEL];
      if (!uid) continue;
      uidOfSandbox.set(s.id, uid);
      add(uid, `${s.id}:${s.state}`);
    }
    for (const c of containers) {
      const uid = uidOfSandbox.get(c.podSandboxId) ?? c.labels[POD_UID_LABEL];
      if (uid) add(uid, `${c.id}:${c.state}`);
    }
    this.adoptOrphans(sandboxes);
    const states = new Map<string, string>();
    for (const [uid, list] of parts) states.set(uid, list.sort().join(','));
    return states;
  }

  private adoptOrphans(sandboxes: { id: string; labels: Record<string, string> }[]): void {
    const known = new Set(this.informer.store.list().map((p) => p.metadata?.uid));
    for (const uid of this.staticPods.keys()) known.add(uid);
    for (const s of sandboxes) {
      const uid = s.labels[POD_UID_LABEL];
      if (!uid || known.has(uid) || this.workers.has(uid)) continue;
      this.log.info({ uid, sandbox: s.id }, 'orphaned pod sandbox found');
      this.worker(uid, undefined);
    }
  }
}
