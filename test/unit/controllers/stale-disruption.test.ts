import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { type ApiClient, FakeClock, IndexedStore, WorkQueue } from '../../../client/index.js';
import type { PodObject } from '../../../control-plane/controllers/replicaset-controller.js';
import {
  disruptionTargetStaleAt,
  STALE_POD_DISRUPTION_MS,
  StaleDisruptionCleaner,
} from '../../../control-plane/controllers/stale-disruption.js';

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

function pod(
  name: string,
  o: { markedAt?: number; status?: 'True' | 'False'; deleting?: boolean },
): PodObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: name,
      ...(o.deleting ? { deletionTimestamp: iso(0) } : {}),
    },
    spec: { containers: [] },
    status: {
      phase: 'Running',
      conditions: [
        { type: 'Ready', status: 'True' },
        ...(o.markedAt === undefined
          ? []
          : [
              {
                type: 'DisruptionTarget',
                status: o.status ?? 'True',
                reason: 'EvictionByEvictionAPI',
                lastTransitionTime: iso(o.markedAt),
              },
            ]),
      ],
    },
  };
}

describe('stale DisruptionTarget cleanup', () => {
  it('finds when a DisruptionTarget=True condition of a pod not being deleted turns stale', () => {
    expect(disruptionTargetStaleAt(pod('a', { markedAt: 1_000_000 }))).toBe(
      1_000_000 + STALE_POD_DISRUPTION_MS,
    );
    expect(disruptionTargetStaleAt(pod('b', { markedAt: 1_000_000, status: 'False' }))).toBeUndefined();
    expect(disruptionTargetStaleAt(pod('c', { markedAt: 1_000_000, deleting: true }))).toBeUndefined();
    expect(disruptionTargetStaleAt(pod('d', {}))).toBeUndefined();
  });

  it('sets the condition False once the timeout passed without a deletion, and not before', async () => {
    const clock = new FakeClock();
    const store = new IndexedStore<PodObject>();
    const marked = pod('victim', { markedAt: clock.now() });
    store.set(marked);
    const writes: PodObject[] = [];
    const api = {
      updateStatus: async (_res: unknown, p: PodObject) => {
        writes.push(p);
        return p;
      },
    } as unknown as ApiClient;
    const queue = new WorkQueue<string>({ clock });
    const cleaner = new StaleDisruptionCleaner({
      pods: store,
      api,
      queue,
      clock,
      log: pino({ level: 'silent' }),
    });

    cleaner.watch('ns/victim', marked);
    expect(queue.len()).toBe(0);
    await cleaner.sync('ns/victim');
    expect(writes).toEqual([]);

    clock.advance(STALE_POD_DISRUPTION_MS);
    expect(queue.len()).toBeGreaterThan(0);
    await cleaner.sync('ns/victim');
    expect(writes).toHaveLength(1);
    const conditions = writes[0]?.status?.conditions ?? [];
    expect(conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(conditions.find((c) => c.type === 'DisruptionTarget')).toEqual({
      type: 'DisruptionTarget',
      status: 'False',
      lastTransitionTime: iso(clock.now()),
    });
  });
});
