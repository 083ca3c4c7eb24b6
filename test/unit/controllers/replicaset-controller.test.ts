import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import {
  type ApiClient,
  type EventRecorder,
  FakeClock,
  IndexedStore,
  WorkQueue,
} from '../../../client/index.js';
import { Expectations } from '../../../control-plane/controllers/expectations.js';
import {
  type PodObject,
  ReplicaSetController,
  type ReplicaSetObject,
} from '../../../control-plane/controllers/replicaset-controller.js';

const RS: ReplicaSetObject = {
  apiVersion: 'apps/v1',
  kind: 'ReplicaSet',
  metadata: { name: 'web', namespace: 'ns', uid: 'rs-uid', generation: 3, resourceVersion: '10' },
  spec: {
    replicas: 10,
    selector: { matchLabels: { app: 'web' } },
    template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'x' }] } },
  },
};

/** A fake API whose pod creates fail after `okCreates` successes. */
function setup(okCreates: number) {
  const replicaSets = new IndexedStore<ReplicaSetObject>();
  replicaSets.set(structuredClone(RS));
  const pods = new IndexedStore<PodObject>();
  const creates: PodObject[] = [];
  const statuses: KubeObject[] = [];
  const events: string[] = [];
  const api = {
    create: async (_r: unknown, pod: PodObject) => {
      if (creates.length >= okCreates) throw new StatusError(422, 'Invalid', 'pod rejected');
      creates.push(pod);
      return { ...pod, metadata: { ...pod.metadata, name: `web-${creates.length}` } };
    },
    updateStatus: async (_r: unknown, obj: KubeObject) => {
      statuses.push(obj);
      return obj;
    },
  } as unknown as ApiClient;
  const clock = new FakeClock();
  const expectations = new Expectations(clock);
  const controller = new ReplicaSetController({
    replicaSets,
    pods,
    api,
    expectations,
    events: {
      event: (_o: unknown, _t: string, reason: string) => events.push(reason),
    } as unknown as EventRecorder,
    queue: new WorkQueue<string>({ clock }),
    clock,
    log: pino({ level: 'silent' }),
  });
  return { controller, creates, statuses, events, expectations };
}

describe('replicaset controller sync', () => {
  it('creates in slow-start batches and stops at the first failing batch', async () => {
    const { controller, creates, statuses, events, expectations } = setup(4);
    await expect(controller.sync('ns/web')).rejects.toThrow('pod rejected');
    // Batches 1, 2, then 4 with one success before the failures: 1 + 2 + 1.
    expect(creates).toHaveLength(4);
    for (const p of creates) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.ownerReferences).toEqual([
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: 'web',
          uid: 'rs-uid',
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
    }
    expect(events.filter((e) => e === 'FailedCreate').length).toBeGreaterThan(0);
    const status = statuses.at(-1)?.status as {
      conditions?: { type: string; reason: string }[];
      observedGeneration: number;
    };
    expect(status.observedGeneration).toBe(3);
    expect(status.conditions?.[0]).toMatchObject({ type: 'ReplicaFailure', reason: 'FailedCreate' });
    // The 4 successful creates are still expected: no second round before they are observed.
    expect(expectations.satisfied('ns/web')).toBe(false);
    for (let i = 0; i < 4; i++) expectations.creationObserved('ns/web');
    expect(expectations.satisfied('ns/web')).toBe(true);
  });

  it('does nothing for a deleted set', async () => {
    const { controller, creates } = setup(10);
    await controller.sync('ns/gone');
    expect(creates).toHaveLength(0);
  });
});
