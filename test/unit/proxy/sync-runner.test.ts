import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../client/clock.js';
import { SyncRunner } from '../../../proxy/sync-runner.js';

function setup(fn?: () => Promise<void>) {
  const clock = new FakeClock();
  const runs: number[] = [];
  const runner = new SyncRunner(
    async () => {
      runs.push(clock.now());
      await fn?.();
    },
    { minIntervalMs: 1000, maxIntervalMs: 60_000, clock },
  );
  runner.start();
  return { clock, runs, runner, t0: clock.now() };
}

describe('SyncRunner', () => {
  it('waits for a request, then collapses a burst into runs one min-interval apart', async () => {
    const r = setup();
    await r.clock.advanceAsync(5000);
    expect(r.runs).toEqual([]);
    r.runner.request();
    await r.clock.advanceAsync(0);
    expect(r.runs).toEqual([r.t0 + 5000]);
    for (let i = 0; i < 10; i++) {
      r.runner.request();
      await r.clock.advanceAsync(50);
    }
    expect(r.runs).toHaveLength(1);
    await r.clock.advanceAsync(1000);
    expect(r.runs).toEqual([r.t0 + 5000, r.t0 + 6000]);
  });

  it('runs periodically without requests', async () => {
    const { clock, runs, t0 } = setup();
    await clock.advanceAsync(120_000);
    expect(runs).toEqual([t0 + 60_000, t0 + 120_000]);
  });

  it('retries a failed run after the min interval', async () => {
    let fail = true;
    const r = setup(async () => {
      if (fail) throw new Error('boom');
    });
    r.runner.request();
    await r.clock.advanceAsync(0);
    fail = false;
    await r.clock.advanceAsync(1000);
    expect(r.runs).toEqual([r.t0, r.t0 + 1000]);
  });
});
