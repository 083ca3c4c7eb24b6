import type { Handle } from './framework.js';
import type { NodeInfo } from './node-info.js';

/**
 * One node's share of an aggregate: keys (topology pairs or values) with counts. Listing a key
 * with 0 still makes it exist (an empty spread domain).
 */
export type Contribution = readonly (readonly [string, number])[];

const NONE: Contribution = [];

/**
 * Per-key totals over all nodes, kept up to date incrementally: each refresh recomputes only the
 * nodes the cache reports changed since the last one. Pods of one workload share an aggregate,
 * so a pre-filter costs what changed since the previous pod, not a walk over every node.
 */
export class TopologyAggregate {
  /** Keys some node contributes to, with summed counts. */
  readonly counts = new Map<string, number>();
  private readonly present = new Map<string, number>();
  private readonly perNode = new Map<string, Contribution>();
  private seq = -1;

  constructor(
    private readonly contribute: (node: NodeInfo) => Contribution,
    /** The nodes a full recompute visits (others must contribute nothing). */
    private readonly source: (h: Handle) => readonly NodeInfo[] = (h) => h.nodeInfos(),
  ) {}

  refresh(h: Handle): this {
    const now = h.changeSeq();
    const changed = this.seq < 0 ? undefined : h.changedSince(this.seq);
    if (changed === undefined) {
      this.counts.clear();
      this.present.clear();
      this.perNode.clear();
      for (const node of this.source(h)) this.apply(node.name, this.contribute(node));
    } else if (changed.length > 0) {
      const seen = new Set<string>();
      for (const name of changed) {
        if (seen.has(name)) continue;
        seen.add(name);
        const info = h.nodeInfo(name);
        this.apply(name, info ? this.contribute(info) : NONE);
      }
    }
    this.seq = now;
    return this;
  }

  private apply(name: string, next: Contribution): void {
    const prev = this.perNode.get(name);
    if (prev) for (const [k, n] of prev) this.add(k, -n, -1);
    if (next.length > 0) {
      this.perNode.set(name, next);
      for (const [k, n] of next) this.add(k, n, 1);
    } else {
      this.perNode.delete(name);
    }
  }

  private add(key: string, n: number, presence: number): void {
    const p = (this.present.get(key) ?? 0) + presence;
    if (p <= 0) {
      this.present.delete(key);
      this.counts.delete(key);
      return;
    }
    this.present.set(key, p);
    this.counts.set(key, (this.counts.get(key) ?? 0) + n);
  }
}

/** A bounded set of aggregates by key, least recently used dropped first. */
export class AggregateCache {
  private readonly items = new Map<string, TopologyAggregate>();

  constructor(private readonly max = 32) {}

  get(key: string, make: () => TopologyAggregate): TopologyAggregate {
    let a = this.items.get(key);
    if (a) {
      this.items.delete(key);
    } else {
      a = make();
      if (this.items.size >= this.max) {
        const oldest = this.items.keys().next().value;
        if (oldest !== undefined) this.items.delete(oldest);
      }
    }
    this.items.set(key, a);
    return a;
  }
}

/**
 * Shared totals (read-only during an attempt) plus this attempt's own changes, so what-if
 * copies for nominated pods and preemption victims cost only their changes.
 */
export class OverlayCounts {
  private overlay: Map<string, number> | undefined;

  constructor(readonly base: ReadonlyMap<string, number>) {}

  get(key: string): number | undefined {
    const b = this.base.get(key);
    const o = this.overlay?.get(key);
    if (o === undefined) return b;
    return (b ?? 0) + o;
  }

  add(key: string, delta: number): void {
    this.overlay ??= new Map();
    this.overlay.set(key, (this.overlay.get(key) ?? 0) + delta);
  }

  /** Whether some key counts more than 0. */
  anyPositive(): boolean {
    if (!this.overlay) {
      for (const n of this.base.values()) if (n > 0) return true;
      return false;
    }
    for (const k of this.base.keys()) if ((this.get(k) ?? 0) > 0) return true;
    for (const k of this.overlay.keys()) if ((this.get(k) ?? 0) > 0) return true;
    return false;
  }

  /** Whether any key is counted at all (cheap pre-check). */
  get maybeNonEmpty(): boolean {
    return this.base.size > 0 || (this.overlay?.size ?? 0) > 0;
  }

  /** The smallest count over the base's keys. */
  min(): number {
    let min = Number.POSITIVE_INFINITY;
    for (const k of this.base.keys()) {
      const n = this.get(k) ?? 0;
      if (n < min) min = n;
    }
    return min === Number.POSITIVE_INFINITY ? 0 : min;
  }

  clone(): OverlayCounts {
    const c = new OverlayCounts(this.base);
    if (this.overlay) c.overlay = new Map(this.overlay);
    return c;
  }
}
