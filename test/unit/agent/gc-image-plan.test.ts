import { describe, expect, it } from 'vitest';
import {
  bytesToFree,
  DEFAULT_IMAGE_GC_POLICY,
  ImageGcPolicyError,
  type ImageRecord,
  planImageRemoval,
  usagePercent,
  validateImageGcPolicy,
} from '../../../agent/gc/index.js';

const GiB = 1024 ** 3;
const T0 = Date.parse('2026-01-02T03:04:05Z');

function rec(id: string, o: Partial<ImageRecord> = {}): ImageRecord {
  return {
    id,
    tags: [`docker.io/x/${id}:1`],
    size: 100,
    pinned: false,
    firstDetectedMs: T0,
    lastUsedMs: 0,
    ...o,
  };
}

const plan = (
  records: ImageRecord[],
  bytes: number,
  o: { inUse?: string[]; protect?: string[]; minAgeMs?: number } = {},
) =>
  planImageRemoval(records, {
    bytes,
    nowMs: T0 + 3_600_000,
    minAgeMs: o.minAgeMs ?? DEFAULT_IMAGE_GC_POLICY.minAgeMs,
    inUse: new Set(o.inUse ?? []),
    isProtected: (r) => (o.protect ?? []).includes(r.id),
  }).map((r) => r.id);

describe('image GC thresholds', () => {
  it('uses upstream defaults 85/80 and 2 minutes', () => {
    expect(DEFAULT_IMAGE_GC_POLICY).toEqual({
      highThresholdPercent: 85,
      lowThresholdPercent: 80,
      minAgeMs: 120_000,
    });
  });

  it('frees nothing below the high threshold', () => {
    const fs = { capacityBytes: 100 * GiB, availableBytes: 16 * GiB };
    expect(usagePercent(fs)).toBe(84);
    expect(bytesToFree(fs, DEFAULT_IMAGE_GC_POLICY)).toBe(0);
  });

  it('at the high threshold frees down to the low one', () => {
    const fs = { capacityBytes: 100 * GiB, availableBytes: 10 * GiB };
    expect(usagePercent(fs)).toBe(90);
    // 20% must be available: 20 GiB - 10 GiB.
    expect(bytesToFree(fs, DEFAULT_IMAGE_GC_POLICY)).toBe(10 * GiB);
  });

  it('with high=0 and low=0 wants every used byte back', () => {
    const fs = { capacityBytes: 100 * GiB, availableBytes: 70 * GiB };
    expect(
      bytesToFree(fs, { ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: 0, lowThresholdPercent: 0 }),
    ).toBe(30 * GiB);
  });

  it('rejects percentages out of range and low above high', () => {
    expect(() => validateImageGcPolicy({ ...DEFAULT_IMAGE_GC_POLICY, highThresholdPercent: 101 })).toThrow(
      ImageGcPolicyError,
    );
    expect(() =>
      validateImageGcPolicy({
        ...DEFAULT_IMAGE_GC_POLICY,
        highThresholdPercent: 50,
        lowThresholdPercent: 60,
      }),
    ).toThrow(/LowThresholdPercent 60 can not be higher than HighThresholdPercent 50/);
    expect(() => validateImageGcPolicy({ ...DEFAULT_IMAGE_GC_POLICY, minAgeMs: -1 })).toThrow(
      ImageGcPolicyError,
    );
  });
});

describe('image GC plan', () => {
  it('removes least recently used first, then the first detected, until enough is freed', () => {
    const records = [
      rec('used-late', { lastUsedMs: T0 + 2000 }),
      rec('used-early', { lastUsedMs: T0 + 1000 }),
      rec('never-new', { firstDetectedMs: T0 + 500 }),
      rec('never-old', { firstDetectedMs: T0 }),
    ];
    expect(plan(records, 250)).toEqual(['never-old', 'never-new', 'used-early']);
    expect(plan(records, 10_000)).toEqual(['never-old', 'never-new', 'used-early', 'used-late']);
  });

  it('skips images in use, pinned, protected (sandbox) or younger than minAge', () => {
    const now = T0 + 3_600_000;
    const records = [
      rec('in-use'),
      rec('pinned', { pinned: true }),
      rec('pause'),
      rec('young', { firstDetectedMs: now - 60_000 }),
      rec('free'),
    ];
    expect(plan(records, 10_000, { inUse: ['in-use'], protect: ['pause'] })).toEqual(['free']);
    // The young one was detected last, so it comes after the others.
    expect(plan(records, 10_000, { inUse: ['in-use'], protect: ['pause'], minAgeMs: 0 })).toEqual([
      'free',
      'young',
    ]);
  });

  it('plans nothing when nothing is to be freed', () => {
    expect(plan([rec('a')], 0)).toEqual([]);
  });
});
