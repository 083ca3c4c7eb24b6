import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventRecorder } from '../../../client/event-recorder.js';
import type { ApiClient } from '../../../client/rest-client.js';
import type { Store } from '../../../client/store.js';
import { SchedulerCache } from '../../../control-plane/scheduler/cache.js';
import { schedulerMetrics } from '../../../control-plane/scheduler/metrics.js';
import { Nominator } from '../../../control-plane/scheduler/nominator.js';
import { defaultProfile } from '../../../control-plane/scheduler/profile.js';
import { defaultRegistry } from '../../../control-plane/scheduler/registry.js';
import { NO_LOOKUPS, Scheduler } from '../../../control-plane/scheduler/scheduler.js';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';
import { makeNode, makePod } from './fixtures.js';

function decide(cache: SchedulerCache, nominator = new Nominator(), budgets: PodDisruptionBudget[] = []) {
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
    nominator,
    lookups: { ...NO_LOOKUPS, budgetsIn: (ns) => budgets.filter((b) => b.metadata?.namespace === ns) },
    random: () => 0.5,
  });
}

const names = (pods: Pod[] | undefined) => (pods ?? []).map((p) => p.metadata?.name);

describe('preemption', () => {
  it('evicts as few lower-priority pods as needed, on the node with the least important victims', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '2' }));
    cache.setNode(makeNode('n2', { cpu: '2' }));
    cache.setPod(makePod('n1-low', { cpu: '1', nodeName: 'n1', priority: 10 }));
    cache.setPod(makePod('n1-mid', { cpu: '1', nodeName: 'n1', priority: 50 }));
    cache.setPod(makePod('n2-mid', { cpu: '1', nodeName: 'n2', priority: 50 }));
    cache.setPod(makePod('n2-mid2', { cpu: '1', nodeName: 'n2', priority: 50 }));
    const r = decide(cache).schedulePod(makePod('vip', { cpu: '1', priority: 100 }));
    expect(r.kind).toBe('unschedulable');
    if (r.kind !== 'unschedulable') return;
    expect(r.message).toBe('0/2 nodes are available: 2 Insufficient cpu.');
    expect(r.preemption?.node).toBe('n1');
    expect(names(r.preemption?.victims)).toEqual(['n1-low']);
  });

  it('prefers a node where eviction breaks no PodDisruptionBudget', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    cache.setNode(makeNode('n2', { cpu: '1' }));
    const guarded = makePod('guarded', { cpu: '1', nodeName: 'n1', priority: 1 });
    guarded.metadata = { ...guarded.metadata, labels: { app: 'db' } };
    cache.setPod(guarded);
    cache.setPod(makePod('busy', { cpu: '1', nodeName: 'n2', priority: 5 }));
    const pdb = (allowed: number): PodDisruptionBudget => ({
      metadata: { name: 'db', namespace: 'default' },
      spec: { selector: { matchLabels: { app: 'db' } } },
      status: { disruptionsAllowed: allowed, currentHealthy: 1, desiredHealthy: 1, expectedPods: 1 },
    });
    const vip = () => makePod('vip', { cpu: '1', priority: 100 });
    const blocked = decide(cache, new Nominator(), [pdb(0)]).schedulePod(vip());
    expect(blocked.kind === 'unschedulable' && blocked.preemption?.node).toBe('n2');
    // With a disruption allowed, the cheaper victim wins again.
    const allowed = decide(cache, new Nominator(), [pdb(1)]).schedulePod(vip());
    expect(allowed.kind === 'unschedulable' && allowed.preemption?.node).toBe('n1');
  });

  it('never preempts pods of equal or higher priority, and says so', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    cache.setPod(makePod('peer', { cpu: '1', nodeName: 'n1', priority: 100 }));
    const r = decide(cache).schedulePod(makePod('vip', { cpu: '1', priority: 100 }));
    expect(r).toEqual({
      kind: 'unschedulable',
      message:
        '0/1 nodes are available: 1 Insufficient cpu. ' +
        'preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.',
    });
  });

  it('reports the reason when removing every lower-priority pod is still not enough', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    cache.setPod(makePod('low', { cpu: '500m', nodeName: 'n1', priority: 1 }));
    const r = decide(cache).schedulePod(makePod('vip', { cpu: '2', priority: 100 }));
    expect(r.kind === 'unschedulable' && r.message).toBe(
      '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 Insufficient cpu.',
    );
  });

  it('does not preempt for a pod with preemptionPolicy Never', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    cache.setPod(makePod('low', { cpu: '1', nodeName: 'n1', priority: 1 }));
    const polite = makePod('polite', { cpu: '1', priority: 100, spec: { preemptionPolicy: 'Never' } });
    expect(decide(cache).schedulePod(polite)).toEqual({
      kind: 'unschedulable',
      message: '0/1 nodes are available: 1 Insufficient cpu. not eligible due to preemptionPolicy=Never.',
    });
  });

  it('frees a node whose low-priority pod holds the anti-affinity that blocks the pod', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { labels: { 'kubernetes.io/hostname': 'n1' } }));
    const blocker = makePod('blocker', {
      nodeName: 'n1',
      priority: 1,
      spec: {
        affinity: {
          podAntiAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [
              { labelSelector: { matchLabels: { app: 'vip' } }, topologyKey: 'kubernetes.io/hostname' },
            ],
          },
        },
      },
    });
    cache.setPod(blocker);
    const vip = makePod('vip', { priority: 100 });
    vip.metadata = { ...vip.metadata, labels: { app: 'vip' } };
    const r = decide(cache).schedulePod(vip);
    expect(r.kind === 'unschedulable' && names(r.preemption?.victims)).toEqual(['blocker']);
  });

  it('keeps the room of a nominated pod from pods of lower priority, not from higher ones', () => {
    const cache = new SchedulerCache();
    cache.setNode(makeNode('n1', { cpu: '1' }));
    const nominator = new Nominator();
    nominator.nominate(makePod('nominated', { cpu: '1', priority: 50 }), 'n1');
    const s = decide(cache, nominator);
    expect(s.schedulePod(makePod('low', { cpu: '1', priority: 10 })).kind).toBe('unschedulable');
    expect(s.schedulePod(makePod('high', { cpu: '1', priority: 90 }))).toMatchObject({
      kind: 'scheduled',
      node: 'n1',
    });
    expect(s.schedulePod(makePod('nominated', { cpu: '1', priority: 50 }))).toMatchObject({
      kind: 'scheduled',
    });
  });
});

describe('Nominator', () => {
  it('follows status.nominatedNodeName but keeps an in-memory nomination against an older update', () => {
    const n = new Nominator();
    const pod = makePod('p');
    n.nominate(pod, 'n1');
    // An update written before the nomination landed: neither side names a node.
    n.fromPod({ ...pod, status: { phase: 'Pending' } }, pod);
    expect(n.nodeOfPod('default/p')).toBe('n1');
    // The nomination cleared through the API, or the pod bound: gone.
    n.fromPod(pod, { ...pod, status: { nominatedNodeName: 'n1' } });
    expect(n.nodeOfPod('default/p')).toBeUndefined();
    n.fromPod({ ...pod, status: { nominatedNodeName: 'n2' } });
    expect(n.podsOn('n2').map((p) => p.metadata?.name)).toEqual(['p']);
    n.fromPod({
      ...pod,
      spec: { ...pod.spec, containers: [], nodeName: 'n2' },
      status: { nominatedNodeName: 'n2' },
    });
    expect(n.size).toBe(0);
  });
});
