import { SkiffError } from '../../api/errors.js';

/** Upstream's image GC policy (--image-gc-high-threshold, --image-gc-low-threshold, --minimum-image-ttl-duration). */
export interface ImageGcPolicy {
  /** Image filesystem usage (%) at or above which images are removed. 100 turns image GC off. */
  highThresholdPercent: number;
  /** Usage (%) the removal aims to get down to. */
  lowThresholdPercent: number;
  /** An image is kept until the kubelet has known it this long. */
  minAgeMs: number;
}

/** Upstream's defaults: 85%, 80%, 2 minutes. */
export const DEFAULT_IMAGE_GC_POLICY: Readonly<ImageGcPolicy> = {
  highThresholdPercent: 85,
  lowThresholdPercent: 80,
  minAgeMs: 2 * 60_000,
};

export class ImageGcPolicyError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_INVALID_IMAGE_GC_POLICY', message);
    this.name = 'ImageGcPolicyError';
  }
}

/** Upstream's checks: both percentages within 0-100, low not above high. */
export function validateImageGcPolicy(p: ImageGcPolicy): void {
  const pct = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0 || v > 100)
      throw new ImageGcPolicyError(`invalid ${name} ${v}, must be in range [0-100]`);
  };
  pct('HighThresholdPercent', p.highThresholdPercent);
  pct('LowThresholdPercent', p.lowThresholdPercent);
  if (p.lowThresholdPercent > p.highThresholdPercent)
    throw new ImageGcPolicyError(
      `LowThresholdPercent ${p.lowThresholdPercent} can not be higher than HighThresholdPercent ${p.highThresholdPercent}`,
    );
  if (!(p.minAgeMs >= 0)) throw new ImageGcPolicyError(`invalid MinAge ${p.minAgeMs}, must not be negative`);
}

export interface FsCapacity {
  capacityBytes: number;
  availableBytes: number;
}

/** Usage in whole percent, rounded up as upstream computes it (100 - available share). */
export function usagePercent(fs: FsCapacity): number {
  if (fs.capacityBytes <= 0) return 0;
  return 100 - Math.floor((fs.availableBytes * 100) / fs.capacityBytes);
}

/**
 * How many bytes to free: none below the high threshold, else enough to get down to the low
 * threshold.
 */
export function bytesToFree(fs: FsCapacity, p: ImageGcPolicy): number {
  if (fs.capacityBytes <= 0 || usagePercent(fs) < p.highThresholdPercent) return 0;
  return Math.max(
    0,
    Math.floor((fs.capacityBytes * (100 - p.lowThresholdPercent)) / 100) - fs.availableBytes,
  );
}

/** What the image GC remembers of an image (upstream's imageRecord). */
export interface ImageRecord {
  id: string;
  tags: string[];
  size: number;
  pinned: boolean;
  /** When the kubelet first saw the image. */
  firstDetectedMs: number;
  /** When a container last used it (0 = never seen in use). */
  lastUsedMs: number;
}

/**
 * The images to remove to free `bytes`: least recently used first (then first detected),
 * skipping images in use now, pinned or protected ones, and those younger than minAge.
 * Stops once the sizes add up to `bytes`.
 */
export function planImageRemoval(
  records: Iterable<ImageRecord>,
  o: {
    bytes: number;
    nowMs: number;
    minAgeMs: number;
    inUse: ReadonlySet<string>;
    isProtected(r: ImageRecord): boolean;
  },
): ImageRecord[] {
  const candidates = [...records].sort(
    (a, b) => a.lastUsedMs - b.lastUsedMs || a.firstDetectedMs - b.firstDetectedMs,
  );
  const out: ImageRecord[] = [];
  let planned = 0;
  for (const r of candidates) {
    if (planned >= o.bytes) break;
    if (o.inUse.has(r.id) || r.pinned || o.isProtected(r)) continue;
    if (o.nowMs - r.firstDetectedMs < o.minAgeMs) continue;
    out.push(r);
    planned += r.size;
  }
  return out;
}
