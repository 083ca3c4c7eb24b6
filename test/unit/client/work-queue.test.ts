import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../client/clock.js';
import { ExponentialFailureRateLimiter } from '../../../client/rate-limiter.js';
import { WorkQueue } from '../../../client/work-queue.js';

describe('WorkQueue', () => {
  it('hands out a key added many times while waiting only once', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    q.add('b');
    q.add('a');
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBe('b');
    expect(q.len()).toBe(0);
  });

  it('re-queues a key added during processing only after done, so no two workers hold it', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    const first = await q.get();
    expect(first).toBe('a');
    q.add('a');
    q.add('a');
    expect(q.len()).toBe(0);
    let second: string | undefined;
    const pending = q.get().then((k) => {
      second = k;
    });
    await Promise.resolve();
    expect(second).toBeUndefined();
    q.done('a');
    await pending;
    expect(second).toBe('a');
    q.done('a');
    expect(q.len()).toBe(0);
  });

  it('wakes a waiting get when a key is added', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const got = q.get();
    q.add('x');
    expect(await got).toBe('x');
  });

  it('returns undefined from get after shutdown once the queue is empty', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    const waiting = q.get();
    q.add('left');
    expect(await waiting).toBe('left');
    const blocked = q.get();
    q.shutDown();
    expect(await blocked).toBeUndefined();
    q.add('ignored');
    expect(await q.get()).toBeUndefined();
  });

  it('still hands out keys queued before shutdown', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    q.shutDown();
    expect(await q.get()).toBe('a');
    expect(await q.get()).toBeUndefined();
  });

  it('shutDownWithDrain waits for keys in process to be done', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock() });
    q.add('a');
    const key = await q.get();
    let drained = false;
    const drain = q.shutDownWithDrain().then(() => {
      drained = true;
    });
    await Promise.resolve();
    expect(drained).toBe(false);
    q.done(key as string);
    await drain;
    expect(drained).toBe(true);
  });

  it('adds a key after a delay with addAfter, keeping the earliest time', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    q.addAfter('a', 100);
    q.addAfter('a', 500);
    q.addAfter('b', 50);
    clock.advance(49);
    expect(q.len()).toBe(0);
    clock.advance(1);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('b');
    clock.advance(50);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe('a');
    clock.advance(1000);
    expect(q.len()).toBe(0);
  });

  it('backs off 5ms, 10ms, 20ms, 40ms per key and resets on forget', async () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    const delays: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = clock.now();
      q.addRateLimited('k');
      // Find when the key became ready by stepping the fake clock 1 ms at a time.
      while (q.len() === 0) clock.advance(1);
      delays.push(clock.now() - before);
      q.done((await q.get()) as string);
    }
    expect(delays).toEqual([5, 10, 20, 40]);
    expect(q.numRequeues('k')).toBe(4);
    q.forget('k');
    expect(q.numRequeues('k')).toBe(0);
  });

  it('caps the per-item backoff at 1000 s', () => {
    const limiter = new ExponentialFailureRateLimiter<string>(5, 1000 * 1000);
    let last = 0;
    for (let i = 0; i < 40; i++) last = limiter.when('k');
    expect(last).toBe(1000 * 1000);
  });

  it('limits the overall retry rate to 10 qps after a burst of 100', () => {
    const clock = new FakeClock();
    const q = new WorkQueue<string>({ clock });
    for (let i = 0; i < 100; i++) q.addRateLimited(`k${i}`);
    // Every key's first failure wants only 5 ms, but the 101st retry must wait for a token (100 ms).
    q.addRateLimited('late');
    clock.advance(5);
    expect(q.len()).toBe(100);
    clock.advance(94);
    expect(q.len()).toBe(100);
    clock.advance(1);
    expect(q.len()).toBe(101);
  });

  it('exports depth and adds metrics for named queues only', async () => {
    const q = new WorkQueue<string>({ clock: new FakeClock(), name: 'test-queue' });
    new WorkQueue<string>({ clock: new FakeClock(), name: 'second-queue' });
    q.add('a');
    q.add('b');
    const adds = await register.getSingleMetric('skiff_workqueue_adds_total')?.get();
    const value = adds?.values.find((v) => v.labels.name === 'test-queue')?.value;
    expect(value).toBe(2);
    const depth = await register.getSingleMetric('skiff_workqueue_depth')?.get();
    expect(depth?.values.find((v) => v.labels.name === 'test-queue')?.value).toBe(2);
  });
});
