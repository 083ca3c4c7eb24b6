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
const COMPACT_REV_KEY = 'compact_rev_key';

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
  /** The version of compact_rev_key this server expects: a round counter shared through etcd. */
  private clock = 0;
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
   * Several servers sharing one etcd take turns as upstream's do: a transaction on the version
   * of `compact_rev_key` lets exactly one of them compact per round, the others just follow the
   * clock. Returns the revision compacted to, or undefined when this call did not compact.
   */
  async compactNow(): Promise<string | undefined> {
    const key = Buffer.from(COMPACT_REV_KEY);
    const target = this.lastRevision;
    const res = await this.opts.store.client.kv.txn(
      {
        compare: [{ key, target: 'Version', result: 'Equal', version: this.clock }],
        success: [{ request_put: { key, value: Buffer.from(String(target ?? 0)) } }],
        failure: [{ request_range: { key } }],
      },
      { deadline: Date.now() + 5_000 },
    );
    this.lastRevision = Number(res.header.revision);
    if (!res.succeeded) {
      // Someone else compacted this round (or our clock is stale): adopt their clock.
      this.clock = Number(res.responses[0]?.response_range?.kvs[0]?.version ?? 0);
      return undefined;
    }
    this.clock++;
    if (target === undefined || target <= 1) return undefined;
    try {
      await this.opts.store.client.kv.compact(
        { revision: target, physical: true },
        { deadline: Date.now() + LONG_CALL_MS },
      );
      etcdCompactions.inc();
      this.opts.log.info({ revision: target }, 'etcd compacted');
    } catch (e) {
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
