import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import { type ApiClient, FakeClock, IndexedStore } from '../../../client/index.js';
import { type NodeObject, PodGarbageCollector } from '../../../control-plane/controllers/podgc-controller.js';
import type { PodObject } from '../../../control-plane/controllers/replicaset-controller.js';

function pod(
  name: string,
  o: { node?: string; phase?: string; created?: string; deleting?: boolean } = {},
): PodObject {
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: name,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
    },
    spec: { nodeName: o.node, containers: [] },
    status: { phase: o.phase ?? 'Running' },
  };
}

function setup(pods: PodObject[], nodes: string[], opts: { threshold?: number } = {}) {
  const podStore = new IndexedStore<PodObject>();
  for (const p of pods) podStore.set(p);
  const nodeStore = new IndexedStore<NodeObject>();
  for (const n of nodes) nodeStore.set({ metadata: { name: n } });
  const deleted: string[] = [];
  const api = {
    get: async (_res: unknown, name: string) => {
      if (nodes.includes(name)) return { metadata: { name } };
      throw new StatusError(404, 'NotFound', `nodes "${name}" not found`);
    },
    delete: async (_res: unknown, name: string, o: { gracePeriodSeconds?: number }) => {
      expect(o.gracePeriodSeconds).toBe(0);
      deleted.push(name);
      return {};
    },
  } as unknown as ApiClient;
  const clock = new FakeClock();
  const gc = new PodGarbageCollector({
    pods: podStore,
    nodes: nodeStore,
    api,
    clock,
    log: pino({ level: 'silent' }),
    quarantineMs: 40_000,
    threshold: opts.threshold,
  });
  return { gc, clock, deleted };
}

describe('pod garbage collector', () => {
  it('deletes pods bound to a node missing for the quarantine period, not before', async () => {
    const { gc, clock, deleted } = setup(
      [pod('on-ghost', { node: 'ghost' }), pod('on-real', { node: 'real' })],
      ['real'],
    );
    await gc.sync('pods');
    expect(deleted).toEqual([]);
    clock.advance(39_000);
    await gc.sync('pods');
    expect(deleted).toEqual([]);
    clock.advance(2_000);
    await gc.sync('pods');
    expect(deleted).toEqual(['on-ghost']);
  });

  it('deletes the oldest terminated pods over the threshold', async () => {
    const pods = [
      pod('new', { phase: 'Succeeded', created: '2024-03-01T00:00:00Z', node: 'n' }),
      pod('old', { phase: 'Failed', created: '2024-01-01T00:00:00Z', node: 'n' }),
      pod('mid', { phase: 'Succeeded', created: '2024-02-01T00:00:00Z', node: 'n' }),
      pod('running', { node: 'n' }),
    ];
    const { gc, deleted } = setup(pods, ['n'], { threshold: 1 });
    await gc.sync('pods');
    expect(deleted).toEqual(['old', 'mid']);
  });

  it('force-deletes terminating pods that were never scheduled', async () => {
    const { gc, deleted } = setup([pod('stuck', { deleting: true }), pod('fine')], []);
    await gc.sync('pods');
    expect(deleted).toEqual(['stuck']);
  });
});
