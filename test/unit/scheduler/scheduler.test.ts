import type { Pod } from 'kubernetes-types/core/v1.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventRecorder } from '../../../client/event-recorder.js';
import type { ApiClient } from '../../../client/rest-client.js';
import type { Store } from '../../../client/store.js';
import { SchedulerCache } from '../../../control-plane/scheduler/cache.js';
import { schedulerMetrics } from '../../../control-plane/scheduler/metrics.js';
import { defaultProfile } from '../../../control-plane/scheduler/profile.js';
import { defaultRegistry } from '../../../control-plane/scheduler/registry.js';
import { Scheduler } from '../../../control-plane/scheduler/scheduler.js';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';
import { makeNode, makePod } from './fixtures.js';

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

describe('Scheduler decisions', () => {
  it('places a pod on the node that fits and explains when none does', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('small', { cpu: '1' }));
    cache.setNode(
      makeNode('tainted', { cpu: '8', taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
    );
    cache.setNode(makeNode('big', { cpu: '4' }));
    const s = decide(cache);
    expect(s.schedulePod(makePod('a', { cpu: '2' }))).toMatchObject({ kind: 'scheduled', node: 'big' });
    expect(s.schedulePod(makePod('b', { cpu: '6' }))).toEqual({
      kind: 'unschedulable',
      message:
        '0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 Insufficient cpu. ' +
        'preemption: 0/3 nodes are available: 1 Preemption is not helpful for scheduling, ' +
        '2 No preemption victims found for incoming pod.',
    });
  });

  it('counts assumed pods, so a burst never overcommits a node', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    cache.setNode(makeNode('n2', { cpu: '1' }));
    const s = decide(cache);
    const placed: string[] = [];
    for (let i = 0; i < 6; i++) {
      const pod = makePod(`p${i}`, { cpu: '400m' });
      const r = s.schedulePod(pod);
      if (r.kind === 'scheduled') {
        cache.assume(pod, r.node);
        placed.push(r.node);
      }
    }
    expect(placed.sort()).toEqual(['n1', 'n1', 'n2', 'n2']);
    // A failed binding gives the room back.
    cache.forget(makePod('p0'));
    expect(s.schedulePod(makePod('again', { cpu: '400m' })).kind).toBe('scheduled');
  });

  it('spreads equal pods by least allocation', () => {
    const cache = new SchedulerCache();
    for (const n of ['n1', 'n2', 'n3']) cache.setNode(makeNode(n));
    const s = decide(cache);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 9; i++) {
      const pod = makePod(`p${i}`, { cpu: '100m', memory: '100Mi' });
      const r = s.schedulePod(pod);
      if (r.kind !== 'scheduled') throw new Error('not scheduled');
      cache.assume(pod, r.node);
      counts[r.node] = (counts[r.node] ?? 0) + 1;
    }
    expect(counts).toEqual({ n1: 3, n2: 3, n3: 3 });
  });

  it('evaluates only a sample of a big cluster, starting where the last pod stopped', () => {
    const cache = new SchedulerCache();
    for (let i = 0; i < 1000; i++) cache.setNode(makeNode(`n${i}`));
    const s = decide(cache);
    const first = s.schedulePod(makePod('a'));
    const second = s.schedulePod(makePod('b'));
    expect(first).toMatchObject({ kind: 'scheduled', evaluated: 420, feasible: 420 });
    expect(second).toMatchObject({ kind: 'scheduled', evaluated: 420 });
    if (first.kind !== 'scheduled' || second.kind !== 'scheduled') return;
    const index = (n: string) => Number(n.slice(1));
    expect(index(first.node)).toBeLessThan(420);
    expect(index(second.node)).toBeGreaterThanOrEqual(420);
  });
});

describe('SchedulerCache', () => {
  it('counts pods by spec.nodeName, not terminal ones, and pods bound before their node appears', () => {
    const cache = new SchedulerCache();
    cache.setPod(makePod('early', { cpu: '1', nodeName: 'n1' }));
    cache.setNode(makeNode('n1'));
    expect(cache.nodeInfo('n1')?.requested.milliCPU).toBe(1000);
    cache.setPod({ ...makePod('early', { cpu: '1', nodeName: 'n1' }), status: { phase: 'Succeeded' } });
    expect(cache.nodeInfo('n1')?.requested.milliCPU).toBe(0);
    expect(cache.nodeInfo('n1')?.pods.size).toBe(0);
  });

  it('counts the pods of a node that was removed and comes back', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    cache.setPod(makePod('a', { cpu: '1', nodeName: 'n1' }));
    cache.removeNode('n1');
    cache.setNode(makeNode('n1'));
    expect(cache.nodeInfo('n1')?.requested.milliCPU).toBe(1000);
    cache.removePod('default/a');
    cache.removeNode('n1');
    cache.setNode(makeNode('n1'));
    expect(cache.nodeInfo('n1')?.pods.size).toBe(0);
  });

  it('keeps an assumed pod until its binding is seen, then counts it once', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1'));
    const pod = makePod('a', { cpu: '1' });
    cache.assume(pod, 'n1');
    cache.setPod(pod); // an unrelated update of the still-unbound pod
    expect(cache.isAssumed('default/a')).toBe(true);
    cache.setPod(makePod('a', { cpu: '1', nodeName: 'n1' }));
    expect(cache.isAssumed('default/a')).toBe(false);
    expect(cache.nodeInfo('n1')?.requested.milliCPU).toBe(1000);
    cache.removePod('default/a');
    expect(cache.nodeInfo('n1')?.requested.milliCPU).toBe(0);
  });

  it('interleaves zones so that the first nodes span every zone', () => {
    const cache = new SchedulerCache();
    for (const [name, zone] of [
      ['a1', 'a'],
      ['a2', 'a'],
      ['a3', 'a'],
      ['b1', 'b'],
      ['c1', 'c'],
      ['c2', 'c'],
    ]) {
      cache.setNode(makeNode(name, { labels: { 'topology.kubernetes.io/zone': zone } }));
    }
    expect(cache.nodeInfos().map((n) => n.name)).toEqual(['a1', 'b1', 'c1', 'a2', 'c2', 'a3']);
    cache.setNode(makeNode('a3', { labels: { 'topology.kubernetes.io/zone': 'b' } }));
    expect(cache.nodeInfos().map((n) => n.name)).toEqual(['a1', 'a3', 'c1', 'a2', 'b1', 'c2']);
  });
});
