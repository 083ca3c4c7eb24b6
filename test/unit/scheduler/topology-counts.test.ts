import type { Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventRecorder } from '../../../client/event-recorder.js';
import type { ApiClient } from '../../../client/rest-client.js';
import type { Store } from '../../../client/store.js';
import { SchedulerCache } from '../../../control-plane/scheduler/cache.js';
import { staticHandle } from '../../../control-plane/scheduler/framework.js';
import { schedulerMetrics } from '../../../control-plane/scheduler/metrics.js';
import { defaultProfile } from '../../../control-plane/scheduler/profile.js';
import { defaultRegistry } from '../../../control-plane/scheduler/registry.js';
import { Scheduler } from '../../../control-plane/scheduler/scheduler.js';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';
import { OverlayCounts, TopologyAggregate } from '../../../control-plane/scheduler/topology-counts.js';
import { makeNode, makePod } from './fixtures.js';

const ZONE = 'topology.kubernetes.io/zone';
const HOST = 'kubernetes.io/hostname';

function cacheHandle(cache: SchedulerCache) {
  return staticHandle([], {
    nodeInfos: () => cache.nodeInfos(),
    nodeInfo: (n) => cache.nodeInfo(n),
    changeSeq: () => cache.changeSeq,
    changedSince: (seq) => cache.changedSince(seq),
  });
}

function labelled(
  name: string,
  labels: Record<string, string>,
  opts: Parameters<typeof makePod>[1] = {},
): Pod {
  const p = makePod(name, opts);
  return { ...p, metadata: { ...p.metadata, labels } };
}

function decide(cache: SchedulerCache) {
  return new Scheduler({
    api: {} as ApiClient,
    log: pino({ level: 'silent' }),
    profile: defaultProfile(),
    registry: defaultRegistry,
    cache,
    queue: new SchedulingQueue(),
    pods: {} as Store<Pod & { metadata: NonNullable<Pod['metadata']> }>,
    events: {} as EventRecorder,
    metrics: schedulerMetrics(),
    random: () => 0.5,
  });
}

describe('TopologyAggregate', () => {
  it('follows pod and node changes through the cache change log', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('a1', { labels: { [ZONE]: 'a' } }));
    cache.setNode(makeNode('b1', { labels: { [ZONE]: 'b' } }));
    const h = cacheHandle(cache);
    let computed = 0;
    const agg = new TopologyAggregate((node) => {
      computed++;
      return [[node.labels[ZONE], node.pods.size]];
    });
    expect([...agg.refresh(h).counts]).toEqual([
      ['a', 0],
      ['b', 0],
    ]);
    expect(computed).toBe(2);
    cache.setPod(makePod('p1', { nodeName: 'a1' }));
    cache.setPod(makePod('p2', { nodeName: 'a1' }));
    expect(agg.refresh(h).counts.get('a')).toBe(2);
    // Only the changed node was recomputed (once, though it changed twice).
    expect(computed).toBe(3);
    cache.removePod('default/p1');
    cache.removeNode('b1');
    expect([...agg.refresh(h).counts]).toEqual([['a', 1]]);
  });

  it('lets an attempt change its view without touching the shared totals', () => {
    const base = new Map([
      ['a', 2],
      ['b', 1],
    ]);
    const view = new OverlayCounts(base);
    const copy = view.clone();
    copy.add('a', -2);
    expect(copy.min()).toBe(0);
    expect(view.min()).toBe(1);
    expect(base.get('a')).toBe(2);
  });
});

describe('spread and anti-affinity over many attempts', () => {
  it('keeps zones within maxSkew as pods are placed one after another', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 9; i++)
      cache.setNode(makeNode(`n${i}`, { labels: { [HOST]: `n${i}`, [ZONE]: `z${i % 3}` } }));
    const s = decide(cache);
    const zones: Record<string, number> = {};
    for (let i = 0; i < 30; i++) {
      const pod = labelled(
        `p${i}`,
        { app: 'x' },
        {
          cpu: '100m',
          spec: {
            topologySpreadConstraints: [
              {
                maxSkew: 1,
                topologyKey: ZONE,
                whenUnsatisfiable: 'DoNotSchedule',
                labelSelector: { matchLabels: { app: 'x' } },
              },
            ],
          },
        },
      );
      const r = s.schedulePod(pod);
      if (r.kind !== 'scheduled') throw new Error(`p${i} not scheduled`);
      cache.assume(pod, r.node);
      const z = cache.nodeInfo(r.node)?.labels[ZONE] ?? '';
      zones[z] = (zones[z] ?? 0) + 1;
      const counts = Object.values(zones);
      expect(Math.max(...counts) - (counts.length < 3 ? 0 : Math.min(...counts))).toBeLessThanOrEqual(1);
    }
    expect(zones).toEqual({ z0: 10, z1: 10, z2: 10 });
  });

  it('spreads pods with preferred anti-affinity over nodes that resource scores would not', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('big', { cpu: '64', memory: '256Gi', labels: { [HOST]: 'big' } }));
    cache.setNode(makeNode('s1', { labels: { [HOST]: 's1' } }));
    cache.setNode(makeNode('s2', { labels: { [HOST]: 's2' } }));
    const s = decide(cache);
    const pod = (name: string, preferred: boolean) =>
      labelled(
        name,
        { app: preferred ? 'web' : 'plain' },
        {
          cpu: '100m',
          memory: '100Mi',
          spec: preferred
            ? {
                affinity: {
                  podAntiAffinity: {
                    preferredDuringSchedulingIgnoredDuringExecution: [
                      {
                        weight: 100,
                        podAffinityTerm: {
                          labelSelector: { matchLabels: { app: 'web' } },
                          topologyKey: HOST,
                        },
                      },
                    ],
                  },
                },
              }
            : {},
        },
      );
    const place = (p: Pod): string => {
      const r = s.schedulePod(p);
      if (r.kind !== 'scheduled') throw new Error('not scheduled');
      cache.assume(p, r.node);
      return r.node;
    };
    // Plain pods all prefer the roomy node; pods avoiding each other take one node each.
    expect([place(pod('a', false)), place(pod('b', false))]).toEqual(['big', 'big']);
    expect([place(pod('w1', true)), place(pod('w2', true)), place(pod('w3', true))].sort()).toEqual([
      'big',
      's1',
      's2',
    ]);
  });

  it('sees a node freed when an anti-affinity pod leaves', () => {
    const cache = new SchedulerCache();
    for (const n of ['n1', 'n2']) cache.setNode(makeNode(n, { labels: { [HOST]: n } }));
    const s = decide(cache);
    const anti = (name: string) =>
      labelled(
        name,
        { app: 'solo' },
        {
          spec: {
            affinity: {
              podAntiAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [
                  { labelSelector: { matchLabels: { app: 'solo' } }, topologyKey: HOST },
                ],
              },
            },
          },
        },
      );
    const placed: string[] = [];
    for (const name of ['s1', 's2']) {
      const r = s.schedulePod(anti(name));
      if (r.kind !== 'scheduled') throw new Error('not scheduled');
      cache.assume(anti(name), r.node);
      placed.push(r.node);
    }
    expect(placed.sort()).toEqual(['n1', 'n2']);
    expect(s.schedulePod(anti('s3')).kind).toBe('unschedulable');
    cache.forget(anti('s1'));
    const freed = cache.nodeInfo('n1')?.pods.size === 0 ? 'n1' : 'n2';
    expect(s.schedulePod(anti('s3'))).toMatchObject({ kind: 'scheduled', node: freed });
  });
});
