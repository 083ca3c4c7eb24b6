import { readFile, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { Gauge, register } from 'prom-client';
import { SkiffError } from '../api/errors.js';
import { parseQuantity } from '../api/quantity.js';
import type { CriClient } from '../shim/index.js';

/** The eviction signals the kubelet measures on Linux (upstream's names). */
export type EvictionSignal =
  | 'memory.available'
  | 'nodefs.available'
  | 'nodefs.inodesFree'
  | 'imagefs.available'
  | 'imagefs.inodesFree'
  | 'pid.available';

export type PressureCondition = 'MemoryPressure' | 'DiskPressure' | 'PIDPressure';

/** Which node condition each signal drives, as upstream's signalToNodeCondition. */
export const SIGNAL_CONDITION: Readonly<Record<EvictionSignal, PressureCondition>> = {
  'memory.available': 'MemoryPressure',
  'nodefs.available': 'DiskPressure',
  'nodefs.inodesFree': 'DiskPressure',
  'imagefs.available': 'DiskPressure',
  'imagefs.inodesFree': 'DiskPressure',
  'pid.available': 'PIDPressure',
};

/** `signal<value`: met when the available amount is below `quantity` or `percentage` of capacity. */
export interface EvictionThreshold {
  signal: EvictionSignal;
  /** An absolute amount: bytes, inodes or pids. */
  quantity?: number;
  /** A fraction of the capacity, 0..1. */
  percentage?: number;
}

/**
 * Upstream's Linux defaults for --eviction-hard. There is no default for pid.available, so
 * PIDPressure only turns True when a pid threshold is configured (as upstream).
 */
export const DEFAULT_EVICTION_HARD =
  'memory.available<100Mi,nodefs.available<10%,nodefs.inodesFree<5%,imagefs.available<15%,imagefs.inodesFree<5%';

/** Upstream's --eviction-pressure-transition-period default. */
export const DEFAULT_PRESSURE_TRANSITION_MS = 5 * 60_000;

/** How often upstream's eviction manager looks at the signals. */
export const PRESSURE_MONITOR_MS = 10_000;

export class EvictionThresholdError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_INVALID_EVICTION_THRESHOLD', message);
    this.name = 'EvictionThresholdError';
  }
}

/** Parses an --eviction-hard value: `memory.available<100Mi,nodefs.available<10%`. */
export function parseEvictionThresholds(spec: string): EvictionThreshold[] {
  const out: EvictionThreshold[] = [];
  for (const part of spec.split(',').map((s) => s.trim())) {
    if (!part) continue;
    const m = /^([a-zA-Z.]+)\s*<\s*(\S+)$/.exec(part);
    if (!m) throw new EvictionThresholdError(`invalid eviction threshold "${part}": want signal<value`);
    const signal = m[1] as EvictionSignal;
    const value = m[2] as string;
    if (!(signal in SIGNAL_CONDITION))
      throw new EvictionThresholdError(`unsupported eviction signal "${m[1]}"`);
    if (out.some((t) => t.signal === signal))
      throw new EvictionThresholdError(`eviction signal "${signal}" given twice`);
    if (value.endsWith('%')) {
      const pct = Number(value.slice(0, -1));
      if (!Number.isFinite(pct) || pct < 0 || pct > 100)
        throw new EvictionThresholdError(`eviction threshold "${part}": percentage must be within 0-100%`);
      out.push({ signal, percentage: pct / 100 });
      continue;
    }
    let quantity: number;
    try {
      quantity = parseQuantity(value).value();
    } catch (e) {
      throw new EvictionThresholdError(`eviction threshold "${part}": ${(e as Error).message}`);
    }
    if (quantity < 0) throw new EvictionThresholdError(`eviction threshold "${part}" must not be negative`);
    out.push({ signal, quantity });
  }
  return out;
}

/** An observed signal: how much is available out of how much in all. */
export interface Observation {
  available: number;
  capacity: number;
}

export type Observations = Partial<Record<EvictionSignal, Observation>>;

/** The amount below which `t` is met, given the capacity (percentages truncate, as upstream). */
export function thresholdValue(t: EvictionThreshold, capacity: number): number {
  if (t.quantity !== undefined) return t.quantity;
  return Math.floor(capacity * (t.percentage ?? 0));
}

/** The thresholds whose signal was observed and is below its value. */
export function thresholdsMet(
  obs: Observations,
  thresholds: readonly EvictionThreshold[],
): EvictionThreshold[] {
  return thresholds.filter((t) => {
    const o = obs[t.signal];
    return o !== undefined && o.available < thresholdValue(t, o.capacity);
  });
}

/**
 * memory.available as upstream defines it: capacity minus the working set, where the working
 * set is the usage (total - free) less the inactive file cache. From /proc/meminfo.
 */
export function memoryFromMeminfo(text: string): Observation | undefined {
  const kib = (key: string): number | undefined => {
    const m = new RegExp(`^${key.replace(/[()]/g, '\\$&')}:\\s+(\\d+)\\s*kB`, 'm').exec(text);
    return m ? Number(m[1]) * 1024 : undefined;
  };
  const total = kib('MemTotal');
  const free = kib('MemFree');
  if (total === undefined || free === undefined) return undefined;
  const inactiveFile = kib('Inactive(file)') ?? 0;
  return { capacity: total, available: Math.min(total, free + inactiveFile) };
}

/** The number of threads in the system: the `existing` half of /proc/loadavg's `running/existing`. */
export function threadsFromLoadavg(text: string): number | undefined {
  const field = text.trim().split(/\s+/)[3];
  const n = Number(field?.split('/')[1]);
  return Number.isInteger(n) ? n : undefined;
}

async function fsObservations(path: string): Promise<{ bytes: Observation; inodes: Observation }> {
  const s = await statfs(path);
  return {
    bytes: { capacity: Number(s.blocks) * Number(s.bsize), available: Number(s.bavail) * Number(s.bsize) },
    inodes: { capacity: Number(s.files), available: Number(s.ffree) },
  };
}

export interface ObserveOptions {
  /** The kubelet's root dir: its filesystem is nodefs. */
  rootDir: string;
  /** ImageFsInfo names the image filesystem's mountpoint; without a runtime there is no imagefs. */
  cri?: CriClient;
  /** Default /proc. */
  procDir?: string;
}

/**
 * Measures every signal it can; a signal that cannot be read is left out (a threshold on it is
 * then not met). `failures` says which could not be read and why.
 */
export async function observeSignals(
  o: ObserveOptions,
): Promise<{ observations: Observations; failures: Record<string, string> }> {
  const proc = o.procDir ?? '/proc';
  const observations: Observations = {};
  const failures: Record<string, string> = {};
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (e) {
      failures[what] = e instanceof Error ? e.message : String(e);
    }
  };
  await Promise.all([
    attempt('memory', async () => {
      const m = memoryFromMeminfo(await readFile(join(proc, 'meminfo'), 'utf8'));
      if (!m) throw new Error('no MemTotal/MemFree in meminfo');
      observations['memory.available'] = m;
    }),
    attempt('nodefs', async () => {
      const fs = await fsObservations(o.rootDir);
      observations['nodefs.available'] = fs.bytes;
      observations['nodefs.inodesFree'] = fs.inodes;
    }),
    attempt('imagefs', async () => {
      if (!o.cri) return;
      const info = await o.cri.images.imageFsInfo();
      const mountpoint = info.imageFilesystems[0]?.fsId?.mountpoint;
      if (!mountpoint) throw new Error('the runtime reports no image filesystem');
      const fs = await fsObservations(mountpoint);
      observations['imagefs.available'] = fs.bytes;
      observations['imagefs.inodesFree'] = fs.inodes;
    }),
    attempt('pid', async () => {
      // Upstream: the limit is the smaller of pid_max and threads-max; every thread takes a pid.
      const [pidMax, threadsMax, loadavg] = await Promise.all([
        readFile(join(proc, 'sys/kernel/pid_max'), 'utf8'),
        readFile(join(proc, 'sys/kernel/threads-max'), 'utf8').catch(() => ''),
        readFile(join(proc, 'loadavg'), 'utf8'),
      ]);
      const limits = [Number(pidMax.trim()), Number(threadsMax.trim())].filter((n) => n > 0);
      const threads = threadsFromLoadavg(loadavg);
      if (limits.length === 0 || threads === undefined) throw new Error('unreadable pid_max or loadavg');
      const max = Math.min(...limits);
      observations['pid.available'] = { capacity: max, available: max - threads };
    }),
  ]);
  return { observations, failures };
}

export type NodePressureState = Record<PressureCondition, boolean>;

export const NO_PRESSURE: Readonly<NodePressureState> = {
  MemoryPressure: false,
  DiskPressure: false,
  PIDPressure: false,
};

export interface NodePressureOptions extends ObserveOptions {
  log: Logger;
  /** Hard eviction thresholds; default upstream's (DEFAULT_EVICTION_HARD). */
  thresholds?: EvictionThreshold[];
  /** A condition stays True this long after its last threshold stopped being met. Default 5 min. */
  transitionPeriodMs?: number;
  now?: () => number;
  /** Replaces observeSignals (tests). */
  observe?: () => Promise<Observations>;
}

let pressureGauge: Gauge<'condition'> | undefined;
function gauge(): Gauge<'condition'> {
  pressureGauge ??=
    (register.getSingleMetric('skiff_kubelet_node_pressure') as Gauge<'condition'> | undefined) ??
    new Gauge({
      name: 'skiff_kubelet_node_pressure',
      help: 'Whether the node reports this pressure condition (1) or not (0)',
      labelNames: ['condition'],
    });
  return pressureGauge;
}

/**
 * The node's MemoryPressure, DiskPressure and PIDPressure, as upstream's eviction manager
 * decides them (no eviction yet): each `sync()` measures the signals and compares them with
 * the hard thresholds; a condition seen True stays True for the transition period after its
 * thresholds stopped being met, so it does not flap.
 */
export class NodePressure {
  private readonly thresholds: EvictionThreshold[];
  private readonly transitionMs: number;
  private readonly now: () => number;
  private readonly lastObservedAt = new Map<PressureCondition, number>();
  private current: NodePressureState = { ...NO_PRESSURE };
  private failing = new Set<string>();
  private lastMet: EvictionThreshold[] = [];

  constructor(private readonly o: NodePressureOptions) {
    this.thresholds = o.thresholds ?? parseEvictionThresholds(DEFAULT_EVICTION_HARD);
    this.transitionMs = o.transitionPeriodMs ?? DEFAULT_PRESSURE_TRANSITION_MS;
    this.now = o.now ?? Date.now;
  }

  /** The state from the last sync (no pressure before the first). */
  state(): NodePressureState {
    return { ...this.current };
  }

  /** The thresholds met at the last sync. */
  met(): EvictionThreshold[] {
    return [...this.lastMet];
  }

  /** Measures the signals and returns the conditions. */
  async sync(): Promise<NodePressureState> {
    const observations = this.o.observe ? await this.o.observe() : await this.observe();
    const now = this.now();
    const met = thresholdsMet(observations, this.thresholds);
    for (const t of met) this.lastObservedAt.set(SIGNAL_CONDITION[t.signal], now);
    const next = { ...NO_PRESSURE };
    for (const [condition, at] of this.lastObservedAt) {
      if (now - at < this.transitionMs || met.some((t) => SIGNAL_CONDITION[t.signal] === condition))
        next[condition] = true;
      else this.lastObservedAt.delete(condition);
    }
    for (const c of Object.keys(next) as PressureCondition[]) {
      if (next[c] !== this.current[c])
        this.o.log.info(
          {
            condition: c,
            status: next[c],
            signals: met.filter((t) => SIGNAL_CONDITION[t.signal] === c).map((t) => t.signal),
          },
          'node pressure condition changed',
        );
      gauge().set({ condition: c }, next[c] ? 1 : 0);
    }
    this.current = next;
    this.lastMet = met;
    return this.state();
  }

  /** Syncs every `intervalMs` (default 10 s) until the signal aborts. */
  async run(signal: AbortSignal, intervalMs = PRESSURE_MONITOR_MS): Promise<void> {
    while (!signal.aborted) {
      await this.sync().catch((e) => this.o.log.warn({ err: e }, 'node pressure check failed'));
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        signal.addEventListener(
          'abort',
          () => {
            clearTimeout(t);
            resolve();
          },
          { once: true },
        );
      });
    }
  }

  private async observe(): Promise<Observations> {
    const { observations, failures } = await observeSignals(this.o);
    // Say once when a signal becomes unreadable, and once when it is back.
    for (const [what, err] of Object.entries(failures))
      if (!this.failing.has(what)) this.o.log.warn({ signal: what, err }, 'eviction signal unreadable');
    for (const what of this.failing)
      if (!(what in failures)) this.o.log.info({ signal: what }, 'eviction signal readable again');
    this.failing = new Set(Object.keys(failures));
    return observations;
  }
}
