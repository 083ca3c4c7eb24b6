import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../client/clock.js';
import { SchedulingQueue } from '../../../control-plane/scheduler/scheduling-queue.js';
import { makePod } from './fixtures.js';

function setup() {
  const clock = new FakeClock();
  const queue = new SchedulingQueue({ clock });
  queue.run();
  return { clock, queue };
}

describe('SchedulingQueue', () => {
  it('pops by priority, then creation time', async () => {
    const { queue } = setup();
    queue.add(makePod('old-low', { priority: 0, created: '2024-01-01T00:00:00Z' }));
    queue.add(makePod('new-high', { priority: 100, created: '2024-01-02T00:00:00Z' }));
    queue.add(makePod('new-low', { priority: 0, created: '2024-01-03T00:00:00Z' }));
    queue.add(makePod('old-high', { priority: 100, created: '2024-01-01T00:00:00Z' }));
    const order: string[] = [];
    for (let i = 0; i < 4; i++) order.push((await queue.pop())?.key ?? '');
    expect(order).toEqual(['default/old-high', 'default/new-high', 'default/old-low', 'default/new-low']);
  });

  it('keeps one entry per pod when added twice', () => {
    const { queue } = setup();
    queue.add(makePod('a'));
    queue.add(makePod('a'));
    expect(queue.lengths()).toEqual({ active: 1, backoff: 0, unschedulable: 0 });
  });

  it('waits for a pod when empty and wakes on add', async () => {
    const { queue } = setup();
    const popped = queue.pop();
    queue.add(makePod('a'));
    expect((await popped)?.key).toBe('default/a');
  });

  it('parks unschedulable pods until a cluster event moves them, honouring backoff', async () => {
    const { clock, queue } = setup();
    queue.add(makePod('a'));
    const q = await queue.pop();
    if (!q) throw new Error('no pod');
    queue.addUnschedulable(q, queue.schedulingCycle);
    expect(queue.where('default/a')).toBe('unschedulable');
    clock.advance(30_000);
    expect(queue.where('default/a')).toBe('unschedulable');
    queue.moveAll();
    // Its 1 s backoff (one attempt) has long expired: straight to active.
    expect(queue.where('default/a')).toBe('active');
  });

  it('moves on only the unschedulable pods a placed pod can help', async () => {
    const { queue } = setup();
    queue.add(makePod('spread', { spec: { topologySpreadConstraints: [] } }));
    queue.add(makePod('plain'));
    for (let i = 0; i < 2; i++) {
      const q = await queue.pop();
      if (!q) throw new Error('no pod');
      queue.addUnschedulable(q, queue.schedulingCycle);
    }
    queue.moveMatching((p) => p.metadata?.name === 'spread');
    expect(queue.where('default/spread')).not.toBe('unschedulable');
    expect(queue.where('default/plain')).toBe('unschedulable');
  });

  it('orders by a resolved priority (PriorityClass) when given one', async () => {
    const queue = new SchedulingQueue({
      priorityOf: (p) => (p.spec?.priorityClassName === 'high' ? 1000 : 0),
    });
    queue.add(makePod('plain', { created: '2024-01-01T00:00:00Z' }));
    queue.add(makePod('classy', { created: '2024-01-02T00:00:00Z', spec: { priorityClassName: 'high' } }));
    expect((await queue.pop())?.key).toBe('default/classy');
  });

  it('sends a pod to backoff when a move was requested during its attempt', async () => {
    const { clock, queue } = setup();
    queue.add(makePod('a'));
    const q = await queue.pop();
    if (!q) throw new Error('no pod');
    const cycle = queue.schedulingCycle;
    queue.moveAll(); // e.g. a node was added while the pod was being scheduled
    queue.addUnschedulable(q, cycle);
    expect(queue.where('default/a')).toBe('backoff');
    clock.advance(1000);
    expect(queue.where('default/a')).toBe('active');
  });

  it('retries unschedulable pods after 60 s without any event', async () => {
    const { clock, queue } = setup();
    queue.add(makePod('a'));
    const q = await queue.pop();
    if (!q) throw new Error('no pod');
    queue.addUnschedulable(q, queue.schedulingCycle);
    clock.advance(59_000);
    expect(queue.where('default/a')).toBe('unschedulable');
    clock.advance(1_000);
    expect(queue.where('default/a')).toBe('active');
  });

  it('backs off exponentially from 1 s to at most 10 s after errors', async () => {
    const { clock, queue } = setup();
    expect([1, 2, 3, 4, 5, 6].map((n) => queue.backoffMs(n))).toEqual([
      1000, 2000, 4000, 8000, 10_000, 10_000,
    ]);
    queue.add(makePod('a'));
    for (let attempt = 1; attempt <= 3; attempt++) {
      const q = await queue.pop();
      if (!q) throw new Error('no pod');
      expect(q.attempts).toBe(attempt);
      queue.addBackoff(q);
      clock.advance(queue.backoffMs(attempt) - 1);
      expect(queue.where('default/a')).toBe('backoff');
      clock.advance(1000);
      expect(queue.where('default/a')).toBe('active');
    }
  });

  it('moves an unschedulable pod on when its spec changes, not on status-only updates', async () => {
    const { clock, queue } = setup();
    queue.add(makePod('a'));
    const q = await queue.pop();
    if (!q) throw new Error('no pod');
    queue.addUnschedulable(q, queue.schedulingCycle);
    clock.advance(5000);
    queue.update({ ...makePod('a'), status: { phase: 'Pending' } });
    expect(queue.where('default/a')).toBe('unschedulable');
    queue.update(makePod('a', { cpu: '10m' }));
    expect(queue.where('default/a')).toBe('active');
  });

  it('forgets deleted pods wherever they are', async () => {
    const { queue } = setup();
    queue.add(makePod('a'));
    queue.add(makePod('b'));
    const q = await queue.pop();
    if (!q) throw new Error('no pod');
    queue.addUnschedulable(q, queue.schedulingCycle);
    queue.delete('default/a');
    queue.delete('default/b');
    expect(queue.lengths()).toEqual({ active: 0, backoff: 0, unschedulable: 0 });
  });

  it('resolves a waiting pop with undefined when closed', async () => {
    const { queue } = setup();
    const popped = queue.pop();
    queue.close();
    expect(await popped).toBeUndefined();
  });
});
