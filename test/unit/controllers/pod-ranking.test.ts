import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { compareForDeletion, podsToDelete } from '../../../control-plane/controllers/pod-ranking.js';

function pod(
  name: string,
  o: {
    node?: string;
    phase?: string;
    ready?: boolean;
    readyAt?: string;
    created?: string;
    restarts?: number;
    cost?: string;
  } = {},
): Pod {
  return {
    metadata: {
      name,
      creationTimestamp: o.created ?? '2024-01-01T00:00:00Z',
      annotations: o.cost ? { 'controller.kubernetes.io/pod-deletion-cost': o.cost } : {},
    },
    spec: { containers: [], nodeName: o.node },
    status: {
      phase: o.phase ?? 'Running',
      conditions: o.ready
        ? [{ type: 'Ready', status: 'True', lastTransitionTime: o.readyAt ?? '2024-01-01T00:00:00Z' }]
        : [],
      containerStatuses: [
        { name: 'c', image: 'x', imageID: '', ready: !!o.ready, restartCount: o.restarts ?? 0 },
      ],
    },
  };
}

const names = (pods: Pod[]) => pods.map((p) => p.metadata?.name);

describe('deletion ranking', () => {
  it('deletes unscheduled before scheduled pods', () => {
    expect(compareForDeletion(pod('a'), pod('b', { node: 'n' }))).toBeLessThan(0);
  });

  it('orders Pending, Unknown, Running', () => {
    const pods = [
      pod('run', { node: 'n' }),
      pod('unk', { node: 'n', phase: 'Unknown' }),
      pod('pend', { node: 'n', phase: 'Pending' }),
    ];
    expect(names([...pods].sort((a, b) => compareForDeletion(a, b)))).toEqual(['pend', 'unk', 'run']);
  });

  it('deletes not-ready before ready, and lower deletion cost first', () => {
    expect(compareForDeletion(pod('nr', { node: 'n' }), pod('r', { node: 'n', ready: true }))).toBeLessThan(
      0,
    );
    expect(
      compareForDeletion(pod('cheap', { node: 'n', cost: '-5' }), pod('dear', { node: 'n', cost: '10' })),
    ).toBeLessThan(0);
  });

  it('prefers the more recently ready, more restarted, newer pod', () => {
    const recent = pod('recent', { node: 'n', ready: true, readyAt: '2024-01-01T00:10:00Z' });
    const long = pod('long', { node: 'n', ready: true, readyAt: '2024-01-01T00:01:00Z' });
    expect(compareForDeletion(recent, long)).toBeLessThan(0);
    expect(
      compareForDeletion(pod('crashy', { node: 'n', restarts: 3 }), pod('calm', { node: 'n' })),
    ).toBeLessThan(0);
    expect(
      compareForDeletion(
        pod('new', { node: 'n', created: '2024-02-01T00:00:00Z' }),
        pod('old', { node: 'n' }),
      ),
    ).toBeLessThan(0);
  });

  it('picks pods on crowded nodes first among equals and never more than asked', () => {
    const pods = [
      pod('alone', { node: 'a' }),
      pod('c1', { node: 'b' }),
      pod('c2', { node: 'b' }),
      pod('pending'),
    ];
    const chosen = names(podsToDelete(pods, 2));
    expect(chosen[0]).toBe('pending');
    expect(['c1', 'c2']).toContain(chosen[1]);
    expect(podsToDelete(pods, 0)).toEqual([]);
  });
});
