import { statfs } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { CriClient, Image } from '../../shim/index.js';
import { isCriNotFound } from '../../shim/index.js';
import { gcMetrics } from './gc-metrics.js';
import {
  bytesToFree,
  DEFAULT_IMAGE_GC_POLICY,
  type FsCapacity,
  type ImageGcPolicy,
  type ImageRecord,
  planImageRemoval,
  usagePercent,
  validateImageGcPolicy,
} from './image-gc-plan.js';

export interface ImageGcOptions {
  cri: CriClient;
  log: Logger;
  policy?: Partial<ImageGcPolicy>;
  /**
   * The pod sandbox (pause) image, never removed. Default: the runtime's own setting, read from
   * its verbose CRI Status (containerd's `sandboxImage`), when it tells.
   */
  sandboxImage?: string;
  now?: () => number;
  /** Capacity of the filesystem at a mountpoint; default statfs. */
  fsCapacity?: (mountpoint: string) => Promise<FsCapacity>;
}

export interface ImageGcResult {
  /** Image filesystem usage (%) before the run; undefined when GC is off. */
  usagePercent?: number;
  /** Bytes the run set out to free (0 below the high threshold). */
  wantedBytes: number;
  freedBytes: number;
  /** Ids of removed images. */
  removed: string[];
  failures: number;
}

async function statfsCapacity(mountpoint: string): Promise<FsCapacity> {
  const s = await statfs(mountpoint);
  return {
    capacityBytes: Number(s.blocks) * Number(s.bsize),
    availableBytes: Number(s.bavail) * Number(s.bsize),
  };
}

/** The spellings of a reference that name the same image (docker.io and library/ implied). */
function referenceForms(ref: string): string[] {
  const forms = [ref];
  const first = ref.split('/')[0] ?? '';
  const hasRegistry =
    ref.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  if (!hasRegistry) {
    forms.push(`docker.io/${ref}`);
    if (!ref.includes('/')) forms.push(`docker.io/library/${ref}`);
  }
  return forms.flatMap((f) => (/:[^/]+$|@/.test(f) ? [f] : [f, `${f}:latest`]));
}

/**
 * Removes unused images when the image filesystem fills up, as upstream's image GC manager
 * (every 5 minutes there): at or above highThresholdPercent usage, images no container uses
 * (running or dead) go, least recently used first, until usage is down to
 * lowThresholdPercent. Images the kubelet has known for less than minAge, pinned images and
 * the sandbox image stay.
 */
export class ImageGc {
  private readonly policy: ImageGcPolicy;
  private readonly now: () => number;
  private readonly records = new Map<string, ImageRecord>();
  private sandboxImage: string | undefined;
  private sandboxImageLooked = false;

  constructor(private readonly o: ImageGcOptions) {
    this.policy = { ...DEFAULT_IMAGE_GC_POLICY, ...o.policy };
    validateImageGcPolicy(this.policy);
    this.now = o.now ?? Date.now;
    this.sandboxImage = o.sandboxImage;
    this.sandboxImageLooked = o.sandboxImage !== undefined;
  }

  /** What the GC knows of each image (by id). */
  known(): ImageRecord[] {
    return [...this.records.values()].map((r) => ({ ...r, tags: [...r.tags] }));
  }

  /**
   * Lists images and containers: records first-seen times, marks images in use now, forgets
   * images that are gone. Returns the ids in use.
   */
  async detect(nowMs = this.now()): Promise<Set<string>> {
    const [images, containers] = await Promise.all([
      this.o.cri.images.listImages(),
      this.o.cri.runtime.listContainers(),
    ]);
    const byRef = new Map<string, string>();
    for (const img of images) {
      byRef.set(img.id, img.id);
      for (const r of [...img.repoTags, ...img.repoDigests]) byRef.set(r, img.id);
    }
    const resolve = (ref: string | undefined) => {
      if (!ref) return undefined;
      for (const f of referenceForms(ref)) {
        const id = byRef.get(f);
        if (id) return id;
      }
      return undefined;
    };
    const inUse = new Set<string>();
    for (const c of containers) {
      for (const ref of [c.imageRef, c.imageId, c.image?.image]) {
        const id = resolve(ref);
        if (id) inUse.add(id);
      }
    }
    const present = new Set<string>();
    for (const img of images) {
      present.add(img.id);
      const r = this.records.get(img.id) ?? this.record(img, nowMs);
      r.size = Number(img.size) || 0;
      r.tags = [...img.repoTags];
      r.pinned = img.pinned;
      if (inUse.has(img.id)) r.lastUsedMs = nowMs;
    }
    for (const id of this.records.keys()) if (!present.has(id)) this.records.delete(id);
    return inUse;
  }

  /** One image GC run; errors of single removals are counted, not thrown. */
  async sync(): Promise<ImageGcResult> {
    const result: ImageGcResult = { wantedBytes: 0, freedBytes: 0, removed: [], failures: 0 };
    if (this.policy.highThresholdPercent >= 100) return result;
    const info = await this.o.cri.images.imageFsInfo();
    const mountpoint = info.imageFilesystems[0]?.fsId?.mountpoint;
    if (!mountpoint) throw new Error('the runtime reports no image filesystem');
    const fs = await (this.o.fsCapacity ?? statfsCapacity)(mountpoint);
    const nowMs = this.now();
    const inUse = await this.detect(nowMs);
    result.usagePercent = usagePercent(fs);
    result.wantedBytes = bytesToFree(fs, this.policy);
    if (result.wantedBytes <= 0) return result;

    const sandboxImage = await this.sandboxImageRef();
    if (!sandboxImage) {
      // Without it the pause image could go, and with no registry pods could not start again.
      this.o.log.warn('image garbage collection skipped: the sandbox image is unknown');
      return result;
    }
    const sandboxForms = new Set(referenceForms(sandboxImage));
    const plan = planImageRemoval(this.records.values(), {
      bytes: result.wantedBytes,
      nowMs,
      minAgeMs: this.policy.minAgeMs,
      inUse,
      isProtected: (r) => r.id === sandboxImage || r.tags.some((t) => sandboxForms.has(t)),
    });
    this.o.log.info(
      { usagePercent: result.usagePercent, wantedBytes: result.wantedBytes, candidates: plan.length },
      'image filesystem above the high threshold: removing unused images',
    );
    for (const r of plan) {
      try {
        await this.o.cri.images.removeImage(r.id);
      } catch (e) {
        if (!isCriNotFound(e)) {
          result.failures++;
          gcMetrics.failures().inc();
          this.o.log.warn({ image: r.id, tags: r.tags, err: String(e) }, 'image removal failed');
          continue;
        }
      }
      this.records.delete(r.id);
      result.removed.push(r.id);
      result.freedBytes += r.size;
      gcMetrics.images().inc();
      gcMetrics.imageBytes().inc(r.size);
      this.o.log.info({ image: r.id, tags: r.tags, size: r.size }, 'unused image removed');
    }
    if (result.freedBytes < result.wantedBytes)
      this.o.log.warn(
        { wantedBytes: result.wantedBytes, freedBytes: result.freedBytes },
        'image garbage collection freed less than required',
      );
    return result;
  }

  private record(img: Image, nowMs: number): ImageRecord {
    const r: ImageRecord = {
      id: img.id,
      tags: [...img.repoTags],
      size: Number(img.size) || 0,
      pinned: img.pinned,
      firstDetectedMs: nowMs,
      lastUsedMs: 0,
    };
    this.records.set(img.id, r);
    return r;
  }

  private async sandboxImageRef(): Promise<string | undefined> {
    if (this.sandboxImageLooked) return this.sandboxImage;
    try {
      const status = await this.o.cri.runtime.status(true);
      const config = status.info.config ? (JSON.parse(status.info.config) as { sandboxImage?: unknown }) : {};
      if (typeof config.sandboxImage === 'string' && config.sandboxImage)
        this.sandboxImage = config.sandboxImage;
      this.sandboxImageLooked = true;
    } catch (e) {
      this.o.log.warn({ err: String(e) }, 'sandbox image unknown: runtime status unreadable');
    }
    return this.sandboxImage;
  }
}
