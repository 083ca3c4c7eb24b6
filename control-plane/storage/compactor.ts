import { Etcd3 } from 'etcd3';
import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { SkiffError } from '../../api/errors.js';
import { isCompactedError } from './etcd-errors.js';
import { type EtcdStore, etcdClientOptions } from './etcd-store.js';
import { etcdCompactions, etcdDbSize, etcdDbSizeInUse, etcdDefrags } from './storage-metrics.js';

export interface CompactorOptions {
  store: EtcdStore;
  /** Members to watch and defragment one by one; default: the store's endpoints. */
  endpoints?: string[];
  /** Cron expression of the periodic run; default every 5 minutes. */
  schedule?: string;
  /** Defragment a member when its free space exceeds this many bytes... */
  defragMinFreeBytes?: number;
  /** ...and this share of its db file. */
  defragMinFreeRatio?: number;
  log: Logger;
}

const DEFAULT_SCHEDULE = '*/5 * * * *';
const LONG_CALL_MS = 60_000;

export interface MemberDbSize {
  endpoint: string;
  dbSize: number;
  dbSizeInUse: number;
}

/**
 * Keeps etcd's history bounded as upstream's apiserver does: each run compacts to the revision
 * seen by the previous run (so one interval of history stays for watches to resume), then
 * defragments members whose file is mostly free space.
 */
export class Compactor {
  private task: ScheduledTask | undefined;
  private lastRevision: number | undefined;
  private readonly members = new Map<string, Etcd3>();
  private readonly endpoints: string[];
  private running = false;

  constructor(private readonly opts: CompactorOptions) {
    this.endpoints = opts.endpoints ?? opts.store.opts.endpoints;
    const schedule = opts.schedule || DEFAULT_SCHEDULE;
    if (!cron.validate(schedule))
      throw new SkiffError('SKIFF_INVALID_SCHEDULE', `invalid compaction schedule "${schedule}"`);
  }

  start(): void {
    if (this.task) return;
    this.task = cron.schedule(this.opts.schedule || DEFAULT_SCHEDULE, () => this.runOnce(), {
      noOverlap: true,
    });
  }

  stop(): void {
    void this.task?.stop();
    this.task = undefined;
    for (const c of this.members.values()) c.close();
    this.members.clear();
  }

  /** One scheduled run: compact, then defragment if worthwhile. Never throws. */
  async runOnce(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.compactNow();
      await this.maybeDefrag();
    } catch (e) {
      this.opts.log.warn({ err: e instanceof Error ? e.message : String(e) }, 'etcd compaction run failed');
    } finally {
      this.running = false;
    }
  }

  /**
   * Compacts to the revision observed by the previous call, then remembers the current one.
   * Returns the revision compacted to, or undefined on the first call.
   */
  async compactNow(): Promise<string | undefined> {
    const current = Number(await this.opts.store.currentRevision());
    const target = this.lastRevision;
    this.lastRevision = current;
    if (target === undefined || target <= 1) return undefined;
    try {
      await this.opts.store.client.kv.compact(
        { revision: target, physical: true },
        { deadline: Date.now() + LONG_CALL_MS },
      );
      etcdCompactions.inc();
      this.opts.log.info({ revision: target }, 'etcd compacted');
    } catch (e) {
      // Another apiserver (or an earlier run) got there first: nothing to do.
      if (!isCompactedError(e)) throw e;
    }
    return String(target);
  }

  /** Sizes of each member's backend, recorded as metrics. */
  async dbSizes(): Promise<MemberDbSize[]> {
    const out: MemberDbSize[] = [];
    for (const endpoint of this.endpoints) {
      const status = await this.member(endpoint).maintenance.status({ deadline: Date.now() + 5_000 });
      const size = { endpoint, dbSize: Number(status.dbSize), dbSizeInUse: Number(status.dbSizeInUse) };
      etcdDbSize.set({ endpoint }, size.dbSize);
      etcdDbSizeInUse.set({ endpoint }, size.dbSizeInUse);
      out.push(size);
    }
    return out;
  }

  /** Defragments, one at a time, the members whose free space passes both thresholds. True when any was defragmented. */
  async maybeDefrag(): Promise<boolean> {
    const minFree = this.opts.defragMinFreeBytes ?? 100 * 1024 * 1024;
    const minRatio = this.opts.defragMinFreeRatio ?? 0.5;
    let any = false;
    for (const m of await this.dbSizes()) {
      const free = m.dbSize - m.dbSizeInUse;
      if (free <= minFree || free <= m.dbSize * minRatio) continue;
      this.opts.log.info(
        { endpoint: m.endpoint, dbSize: m.dbSize, dbSizeInUse: m.dbSizeInUse },
        'defragmenting etcd member',
      );
      await this.member(m.endpoint).maintenance.defragment({ deadline: Date.now() + LONG_CALL_MS });
      etcdDefrags.inc();
      any = true;
    }
    if (any) await this.dbSizes();
    return any;
  }

  private member(endpoint: string): Etcd3 {
    let c = this.members.get(endpoint);
    if (!c) {
      c = new Etcd3(etcdClientOptions([endpoint], this.opts.store.opts.tls));
      this.members.set(endpoint, c);
    }
    return c;
  }
}
