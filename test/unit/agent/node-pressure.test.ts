import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_EVICTION_HARD,
  EvictionThresholdError,
  memoryFromMeminfo,
  NodePressure,
  type Observations,
  observeSignals,
  parseEvictionThresholds,
  threadsFromLoadavg,
  thresholdsMet,
} from '../../../agent/node-pressure.js';

const Mi = 1024 * 1024;
const Gi = 1024 * Mi;
const log = pino({ level: 'silent' });

/** Plenty of everything. */
const healthy = (): Observations => ({
  'memory.available': { available: 4 * Gi, capacity: 8 * Gi },
  'nodefs.available': { available: 50 * Gi, capacity: 100 * Gi },
  'nodefs.inodesFree': { available: 5_000_000, capacity: 6_000_000 },
  'imagefs.available': { available: 50 * Gi, capacity: 100 * Gi },
  'imagefs.inodesFree': { available: 5_000_000, capacity: 6_000_000 },
  'pid.available': { available: 4_000_000, capacity: 4_194_304 },
});

describe('eviction thresholds', () => {
  it('parses upstream Linux defaults (no pid default)', () => {
    expect(parseEvictionThresholds(DEFAULT_EVICTION_HARD)).toEqual([
      { signal: 'memory.available', quantity: 100 * Mi },
      { signal: 'nodefs.available', percentage: 0.1 },
      { signal: 'nodefs.inodesFree', percentage: 0.05 },
      { signal: 'imagefs.available', percentage: 0.15 },
      { signal: 'imagefs.inodesFree', percentage: 0.05 },
    ]);
  });

  it('parses quantities and percentages, and rejects bad input', () => {
    expect(parseEvictionThresholds('pid.available<10%, memory.available<1Gi')).toEqual([
      { signal: 'pid.available', percentage: 0.1 },
      { signal: 'memory.available', quantity: Gi },
    ]);
    expect(() => parseEvictionThresholds('memory.used<1Gi')).toThrow(EvictionThresholdError);
    expect(() => parseEvictionThresholds('memory.available>1Gi')).toThrow(EvictionThresholdError);
    expect(() => parseEvictionThresholds('nodefs.available<120%')).toThrow(EvictionThresholdError);
    expect(() => parseEvictionThresholds('memory.available<lots')).toThrow(EvictionThresholdError);
    expect(() => parseEvictionThresholds('memory.available<1Gi,memory.available<2Gi')).toThrow(/twice/);
  });

  it('is met when the available amount is below the threshold', () => {
    const t = parseEvictionThresholds(DEFAULT_EVICTION_HARD);
    expect(thresholdsMet(healthy(), t)).toEqual([]);
    const low = healthy();
    low['memory.available'] = { available: 99 * Mi, capacity: 8 * Gi };
    low['imagefs.available'] = { available: 14 * Gi, capacity: 100 * Gi };
    expect(thresholdsMet(low, t).map((x) => x.signal)).toEqual(['memory.available', 'imagefs.available']);
    // Exactly at the threshold is not below it.
    low['memory.available'] = { available: 100 * Mi, capacity: 8 * Gi };
    expect(thresholdsMet(low, t).map((x) => x.signal)).toEqual(['imagefs.available']);
  });

  it('ignores thresholds on signals that were not observed', () => {
    expect(thresholdsMet({}, parseEvictionThresholds(DEFAULT_EVICTION_HARD))).toEqual([]);
  });
});

describe('signal sources', () => {
  it('takes memory.available as free plus inactive file pages', () => {
    const text =
      'MemTotal:  8000000 kB\nMemFree:  1000000 kB\nMemAvailable: 5000000 kB\nInactive(file):  500000 kB\n';
    expect(memoryFromMeminfo(text)).toEqual({ capacity: 8_000_000 * 1024, available: 1_500_000 * 1024 });
    expect(memoryFromMeminfo('nothing')).toBeUndefined();
  });

  it('counts threads from /proc/loadavg', () => {
    expect(threadsFromLoadavg('0.52 0.58 0.59 3/1234 56789\n')).toBe(1234);
    expect(threadsFromLoadavg('garbage')).toBeUndefined();
  });

  let proc: string;
  beforeAll(async () => {
    proc = await mkdtemp(join(tmpdir(), 'skiff-proc-'));
    await mkdir(join(proc, 'sys', 'kernel'), { recursive: true });
    await writeFile(join(proc, 'meminfo'), 'MemTotal: 1000 kB\nMemFree: 100 kB\nInactive(file): 20 kB\n');
    await writeFile(join(proc, 'sys', 'kernel', 'pid_max'), '32768\n');
    await writeFile(join(proc, 'sys', 'kernel', 'threads-max'), '10000\n');
    await writeFile(join(proc, 'loadavg'), '0.00 0.00 0.00 1/400 99\n');
  });
  afterAll(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  it('reads memory, pids (the smaller of pid_max and threads-max) and the root dir filesystem', async () => {
    const { observations, failures } = await observeSignals({ rootDir: proc, procDir: proc });
    expect(failures).toEqual({});
    expect(observations['memory.available']).toEqual({ capacity: 1000 * 1024, available: 120 * 1024 });
    expect(observations['pid.available']).toEqual({ capacity: 10_000, available: 9600 });
    const nodefs = observations['nodefs.available'];
    expect(nodefs?.capacity).toBeGreaterThan(0);
    expect(nodefs?.available).toBeLessThanOrEqual(nodefs?.capacity ?? 0);
    expect(observations['nodefs.inodesFree']?.capacity).toBeGreaterThanOrEqual(0);
    // No runtime given: no imagefs.
    expect(observations['imagefs.available']).toBeUndefined();
  });

  it('reports a signal it cannot read and still returns the others', async () => {
    const { observations, failures } = await observeSignals({ rootDir: join(proc, 'absent'), procDir: proc });
    expect(Object.keys(failures)).toEqual(['nodefs']);
    expect(observations['nodefs.available']).toBeUndefined();
    expect(observations['memory.available']).toBeDefined();
  });
});

describe('NodePressure', () => {
  function fixture(transitionPeriodMs = 300_000) {
    let now = Date.parse('2026-01-02T03:04:05Z');
    let obs = healthy();
    const p = new NodePressure({
      rootDir: '/',
      log,
      now: () => now,
      transitionPeriodMs,
      thresholds: parseEvictionThresholds(`${DEFAULT_EVICTION_HARD},pid.available<5%`),
      observe: async () => obs,
    });
    return {
      p,
      set: (f: (o: Observations) => void) => {
        obs = healthy();
        f(obs);
      },
      advance: (ms: number) => {
        now += ms;
      },
    };
  }

  it('reports no pressure on a healthy node', async () => {
    const { p } = fixture();
    expect(await p.sync()).toEqual({ MemoryPressure: false, DiskPressure: false, PIDPressure: false });
  });

  it('maps each signal to its condition', async () => {
    const { p, set } = fixture();
    set((o) => {
      o['nodefs.inodesFree'] = { available: 1000, capacity: 6_000_000 };
    });
    expect(await p.sync()).toEqual({ MemoryPressure: false, DiskPressure: true, PIDPressure: false });
    set((o) => {
      o['pid.available'] = { available: 100, capacity: 4_194_304 };
      o['memory.available'] = { available: 10 * Mi, capacity: 8 * Gi };
    });
    // DiskPressure holds on through the transition period.
    expect(await p.sync()).toEqual({ MemoryPressure: true, DiskPressure: true, PIDPressure: true });
    expect(
      p
        .met()
        .map((t) => t.signal)
        .sort(),
    ).toEqual(['memory.available', 'pid.available']);
  });

  it('keeps a condition True for the transition period after the signal recovers', async () => {
    const { p, set, advance } = fixture(300_000);
    set((o) => {
      o['memory.available'] = { available: 50 * Mi, capacity: 8 * Gi };
    });
    expect((await p.sync()).MemoryPressure).toBe(true);
    set(() => undefined);
    advance(299_000);
    expect((await p.sync()).MemoryPressure).toBe(true);
    advance(1000);
    expect((await p.sync()).MemoryPressure).toBe(false);
    expect(p.state().MemoryPressure).toBe(false);
  });

  it('with a zero transition period follows the signal at once', async () => {
    const { p, set } = fixture(0);
    set((o) => {
      o['imagefs.available'] = { available: 1 * Gi, capacity: 100 * Gi };
    });
    expect((await p.sync()).DiskPressure).toBe(true);
    set(() => undefined);
    expect((await p.sync()).DiskPressure).toBe(false);
  });
});
