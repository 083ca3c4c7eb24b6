import type { Node } from 'kubernetes-types/core/v1.js';
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ZoneTracker, zoneOf, zoneState } from '../../../control-plane/controllers/node-zones.js';

function node(name: string, zone: string, ready: boolean, extra: Record<string, string> = {}): Node {
  return {
    metadata: {
      name,
      labels: { 'topology.kubernetes.io/region': 'r', 'topology.kubernetes.io/zone': zone, ...extra },
    },
    status: { conditions: [{ type: 'Ready', status: ready ? 'True' : 'Unknown' }] },
  };
}

const limits = {
  unhealthyThreshold: 0.55,
  evictionRate: 0.1,
  secondaryEvictionRate: 0.01,
  largeClusterSize: 5,
};

describe('zone states', () => {
  it('computes Normal, PartialDisruption and FullDisruption as upstream', () => {
    expect(zoneState(3, 0, 0.55)).toBe('Normal');
    expect(zoneState(1, 2, 0.55)).toBe('Normal'); // two not ready are never a partial disruption
    expect(zoneState(2, 3, 0.55)).toBe('PartialDisruption');
    expect(zoneState(3, 3, 0.55)).toBe('Normal'); // 50% < 55%
    expect(zoneState(0, 1, 0.55)).toBe('FullDisruption');
    expect(zoneState(0, 0, 0.55)).toBe('Normal');
  });

  it('keys zones by region and zone labels', () => {
    expect(zoneOf(node('a', 'z1', true))).toBe('r/z1');
    expect(zoneOf({ metadata: { name: 'b' } })).toBe('');
  });
});

describe('zone tracker', () => {
  it('follows node updates and deletes', () => {
    const z = new ZoneTracker(limits);
    for (const n of ['a', 'b', 'c', 'd']) z.observe(node(n, 'z1', true));
    expect(z.stateOf('r/z1')).toBe('Normal');
    for (const n of ['a', 'b', 'c']) z.observe(node(n, 'z1', false));
    expect(z.stateOf('r/z1')).toBe('PartialDisruption');
    z.forget('d');
    expect(z.stateOf('r/z1')).toBe('FullDisruption');
    z.observe(node('d', 'z1', true, { 'node.kubernetes.io/exclude-disruption': '' }));
    expect(z.stateOf('r/z1')).toBe('FullDisruption');
  });

  it('publishes each zone state as a gauge', async () => {
    const z = new ZoneTracker(limits);
    z.observe(node('g1', 'gauged', false));
    const text = await register.metrics();
    expect(text).toContain('skiff_controller_zone_state{zone="r/gauged",state="FullDisruption"} 1');
    expect(text).toContain('skiff_controller_zone_state{zone="r/gauged",state="Normal"} 0');
    z.forget('g1');
    expect(await register.metrics()).not.toContain('zone="r/gauged"');
  });

  it('paces NoExecute taints at the zone rate, none in small partial or full zones', () => {
    const z = new ZoneTracker(limits);
    for (const n of ['a', 'b', 'c']) z.observe(node(n, 'z1', true));
    z.observe(node('x', 'z2', true));
    expect(z.takeTaintToken('r/z1', 0)).toBe(true);
    expect(z.takeTaintToken('r/z1', 1000)).toBe(9000);
    expect(z.takeTaintToken('r/z2', 1000)).toBe(true); // each zone has its own bucket
    expect(z.takeTaintToken('r/z1', 10_000)).toBe(true);

    for (const n of ['a', 'b', 'c']) z.observe(node(n, 'z1', false));
    z.observe(node('d', 'z1', true));
    expect(z.stateOf('r/z1')).toBe('PartialDisruption');
    expect(z.takeTaintToken('r/z1', 100_000)).toBe(Number.POSITIVE_INFINITY);
    for (const n of ['e', 'f']) z.observe(node(n, 'z1', false));
    // Six nodes, larger than the threshold of five: the secondary rate.
    expect(z.rateOf('r/z1')).toBe(0.01);

    z.observe(node('d', 'z1', false));
    expect(z.stateOf('r/z1')).toBe('FullDisruption');
    expect(z.takeTaintToken('r/z1', 200_000)).toBe(Number.POSITIVE_INFINITY);
    expect(z.allFullyDisrupted()).toBe(false);
    z.observe(node('x', 'z2', false));
    expect(z.allFullyDisrupted()).toBe(true);
    expect(z.rateOf('r/z2')).toBe(0);
  });
});
