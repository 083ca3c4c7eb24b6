import type { Node } from 'kubernetes-types/core/v1.js';
import { Gauge, register } from 'prom-client';

export type ZoneState = 'Normal' | 'PartialDisruption' | 'FullDisruption';

/** Upstream's --unhealthy-zone-threshold, --node-eviction-rate, --secondary-node-eviction-rate, --large-cluster-size-threshold. */
export interface ZoneLimits {
  unhealthyThreshold: number;
  /** NoExecute taints per second in a healthy zone. */
  evictionRate: number;
  /** NoExecute taints per second in a partially disrupted zone larger than `largeClusterSize`. */
  secondaryEvictionRate: number;
  largeClusterSize: number;
}

export const DEFAULT_ZONE_LIMITS: ZoneLimits = {
  unhealthyThreshold: 0.55,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  largeClusterSize: 50,
};

/** Nodes carrying this label are left out of the zone counts, as upstream. */
export const EXCLUDE_DISRUPTION_LABEL = 'node.kubernetes.io/exclude-disruption';

/** The zone of a node: region and zone labels (stable names first, then the deprecated beta ones). */
export function zoneOf(node: Node): string {
  const l = node.metadata?.labels ?? {};
  const region = l['topology.kubernetes.io/region'] ?? l['failure-domain.beta.kubernetes.io/region'] ?? '';
  const zone = l['topology.kubernetes.io/zone'] ?? l['failure-domain.beta.kubernetes.io/zone'] ?? '';
  return region || zone ? `${region}/${zone}` : '';
}

export function isNodeReady(node: Node): boolean {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
}

/**
 * Upstream's ComputeZoneState: no ready node (and some not ready) is a full disruption; more than
 * two not ready making up at least the threshold is a partial one.
 */
export function zoneState(ready: number, notReady: number, threshold: number): ZoneState {
  if (ready === 0 && notReady > 0) return 'FullDisruption';
  if (notReady > 2 && notReady / (ready + notReady) >= threshold) return 'PartialDisruption';
  return 'Normal';
}

const STATES: readonly ZoneState[] = ['Normal', 'PartialDisruption', 'FullDisruption'];

let stateGauge: Gauge<'zone' | 'state'> | undefined;

/** `skiff_controller_zone_state{zone,state}`: 1 for each zone's current state, 0 for the others. */
function zoneStateGauge(): Gauge<'zone' | 'state'> {
  stateGauge ??=
    (register.getSingleMetric('skiff_controller_zone_state') as Gauge<'zone' | 'state'> | undefined) ??
    new Gauge({
      name: 'skiff_controller_zone_state',
      help: 'Node lifecycle zone state (Normal, PartialDisruption, FullDisruption), 1 for the current one',
      labelNames: ['zone', 'state'],
    });
  return stateGauge;
}

interface Counts {
  ready: number;
  notReady: number;
}

/**
 * Per-zone ready counts kept up to date from node events, so that each node's sync reads its
 * zone's state without scanning every node, and a token bucket (burst 1) per zone that paces how
 * fast nodes get NoExecute taints: the rate follows the zone's state.
 */
export class ZoneTracker {
  private readonly nodes = new Map<string, { zone: string; ready: boolean }>();
  private readonly zones = new Map<string, Counts>();
  private readonly nextTaintAt = new Map<string, number>();

  constructor(readonly limits: ZoneLimits = DEFAULT_ZONE_LIMITS) {}

  /** Records a node's latest state (add or update). */
  observe(node: Node): void {
    const name = node.metadata?.name ?? '';
    this.forget(name);
    if (node.metadata?.labels?.[EXCLUDE_DISRUPTION_LABEL] !== undefined) return;
    const entry = { zone: zoneOf(node), ready: isNodeReady(node) };
    this.nodes.set(name, entry);
    const c = this.zones.get(entry.zone) ?? { ready: 0, notReady: 0 };
    if (entry.ready) c.ready++;
    else c.notReady++;
    this.zones.set(entry.zone, c);
    this.publish(entry.zone);
  }

  private publish(zone: string): void {
    const gauge = zoneStateGauge();
    const current = this.zones.has(zone) ? this.stateOf(zone) : undefined;
    for (const state of STATES) {
      if (current) gauge.set({ zone, state }, state === current ? 1 : 0);
      else gauge.remove({ zone, state });
    }
  }

  forget(name: string): void {
    const old = this.nodes.get(name);
    if (!old) return;
    this.nodes.delete(name);
    const c = this.zones.get(old.zone);
    if (!c) return;
    if (old.ready) c.ready--;
    else c.notReady--;
    if (c.ready + c.notReady === 0) {
      this.zones.delete(old.zone);
      this.nextTaintAt.delete(old.zone);
    }
    this.publish(old.zone);
  }

  stateOf(zone: string): ZoneState {
    const c = this.zones.get(zone);
    return c ? zoneState(c.ready, c.notReady, this.limits.unhealthyThreshold) : 'Normal';
  }

  /** Every zone fully disrupted: the control plane is more likely cut off than every node gone. */
  allFullyDisrupted(): boolean {
    if (this.zones.size === 0) return false;
    for (const zone of this.zones.keys()) if (this.stateOf(zone) !== 'FullDisruption') return false;
    return true;
  }

  /** NoExecute taints per second allowed in the zone now; 0 means none. */
  rateOf(zone: string): number {
    if (this.allFullyDisrupted()) return 0;
    switch (this.stateOf(zone)) {
      case 'Normal':
        return this.limits.evictionRate;
      case 'PartialDisruption': {
        const c = this.zones.get(zone);
        const size = c ? c.ready + c.notReady : 0;
        return size > this.limits.largeClusterSize ? this.limits.secondaryEvictionRate : 0;
      }
      case 'FullDisruption':
        return 0;
    }
  }

  /**
   * Takes the zone's token for one more NoExecute taint: true when allowed now; otherwise the
   * milliseconds until it may be (Infinity while the zone's rate is 0).
   */
  takeTaintToken(zone: string, now: number): true | number {
    const rate = this.rateOf(zone);
    if (rate <= 0) return Number.POSITIVE_INFINITY;
    const at = this.nextTaintAt.get(zone) ?? 0;
    if (now < at) return at - now;
    this.nextTaintAt.set(zone, now + 1000 / rate);
    return true;
  }
}
