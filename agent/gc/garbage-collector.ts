import type { Logger } from 'pino';
import { type Clock, realClock } from '../../client/clock.js';
import type { CriClient } from '../../shim/index.js';
import { ContainerGc, type ContainerGcResult } from './container-gc.js';
import type { ContainerGcPolicy, IsPodKnown } from './container-gc-plan.js';
import { ImageGc, type ImageGcResult } from './image-gc.js';
import type { ImageGcPolicy } from './image-gc-plan.js';

/** Upstream's periods: containers every minute, images every 5 minutes. */
export const CONTAINER_GC_PERIOD_MS = 60_000;
export const IMAGE_GC_PERIOD_MS = 5 * 60_000;

export interface GarbageCollectorOptions {
  cri: CriClient;
  log: Logger;
  /** Whether the kubelet still has the pod with this uid (API or static pod). */
  isPodKnown: IsPodKnown;
  /** Whether every pod source has been read once; until then no pod counts as gone. */
  sourcesReady: () => boolean;
  containerPolicy?: Partial<ContainerGcPolicy>;
  imagePolicy?: Partial<ImageGcPolicy>;
  /** The pause image (never removed); default the runtime's setting from its CRI Status. */
  sandboxImage?: string;
  /** The pod log root (/var/log/pods): directories of gone pods are removed. */
  podLogsDir?: string;
  containerPeriodMs?: number;
  imagePeriodMs?: number;
  clock?: Clock;
}

/**
 * The kubelet's garbage collection: dead containers and sandboxes every minute, unused
 * images every 5 minutes (both once at start). `run(signal)` loops until the signal aborts.
 */
export class GarbageCollector {
  readonly containers: ContainerGc;
  readonly images: ImageGc;
  private readonly clock: Clock;
  private readonly log: Logger;

  constructor(private readonly o: GarbageCollectorOptions) {
    this.clock = o.clock ?? realClock;
    this.log = o.log.child({ component: 'kubelet-gc' });
    const now = () => this.clock.now();
    this.containers = new ContainerGc({
      cri: o.cri,
      log: this.log,
      isPodKnown: o.isPodKnown,
      sourcesReady: o.sourcesReady,
      policy: o.containerPolicy,
      podLogsDir: o.podLogsDir,
      now,
    });
    this.images = new ImageGc({
      cri: o.cri,
      log: this.log,
      policy: o.imagePolicy,
      sandboxImage: o.sandboxImage,
      now,
    });
  }

  collectContainers(): Promise<ContainerGcResult> {
    return this.containers.sync();
  }

  collectImages(): Promise<ImageGcResult> {
    return this.images.sync();
  }

  async run(signal: AbortSignal): Promise<void> {
    await Promise.all([
      this.loop(signal, this.o.containerPeriodMs ?? CONTAINER_GC_PERIOD_MS, 'container', () =>
        this.containers.sync(),
      ),
      this.loop(signal, this.o.imagePeriodMs ?? IMAGE_GC_PERIOD_MS, 'image', () => this.images.sync()),
    ]);
  }

  private async loop(
    signal: AbortSignal,
    periodMs: number,
    kind: string,
    fn: () => Promise<unknown>,
  ): Promise<void> {
    let failing = false;
    while (!signal.aborted) {
      try {
        await fn();
        failing = false;
      } catch (e) {
        // The runtime being down is the node status's news: say it here once.
        if (!failing) this.log.warn({ kind, err: String(e) }, 'garbage collection failed');
        failing = true;
      }
      try {
        await this.clock.sleep(periodMs, signal);
      } catch {
        return;
      }
    }
  }
}
