import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodeAffinity } from '../../../../control-plane/scheduler/plugins/node-affinity.js';
import { NodeResourcesBalancedAllocation } from '../../../../control-plane/scheduler/plugins/node-resources-balanced-allocation.js';
import { NodeResourcesFit } from '../../../../control-plane/scheduler/plugins/node-resources-fit.js';
import { TaintToleration } from '../../../../control-plane/scheduler/plugins/taint-toleration.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('NodeResourcesFit score (least allocated)', () => {
  it('prefers the emptier node and uses non-zero defaults for pods without requests', () => {
    const p = new NodeResourcesFit();
    const empty = infoOf(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    const busy = infoOf(
      makeNode('n2', { cpu: '4', memory: '8Gi' }),
      makePod('x', { cpu: '2', memory: '4Gi' }),
    );
    const pod = makePod('a', { cpu: '1', memory: '2Gi' });
    // (3/4*100 + 6/8*100) / 2 = 75; busy: (1/4 + 2/8)*100/2 = 25
    expect(p.score(pod, empty, new CycleState())).toBe(75);
    expect(p.score(pod, busy, new CycleState())).toBe(25);
    // No requests: 100m and 200Mi count.
    const bare = makePod('b');
    expect(p.score(bare, empty, new CycleState())).toBe(
      Math.floor(((3900 / 4000) * 100 + ((8192 - 200) / 8192) * 100) / 2),
    );
  });
});

describe('NodeResourcesBalancedAllocation', () => {
  it('gives 100 when cpu and memory fractions are equal and less as they diverge', () => {
    const p = new NodeResourcesBalancedAllocation();
    const node = infoOf(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    expect(p.score(makePod('a', { cpu: '2', memory: '4Gi' }), node, new CycleState())).toBe(100);
    // cpu 1/4 = 0.25, memory 6/8 = 0.75: std 0.25 -> 75
    expect(p.score(makePod('b', { cpu: '1', memory: '6Gi' }), node, new CycleState())).toBe(75);
  });
});

describe('NodeAffinity score', () => {
  it('sums weights of matching preferred terms and normalizes to 100', () => {
    const p = new NodeAffinity();
    const pod = makePod('a', {
      spec: {
        affinity: {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [
              {
                weight: 10,
                preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
              },
              {
                weight: 30,
                preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] },
              },
            ],
          },
        },
      },
    });
    const nodes = [
      infoOf(makeNode('n1', { labels: { zone: 'a' } })),
      infoOf(makeNode('n2', { labels: { zone: 'a', disk: 'ssd' } })),
      infoOf(makeNode('n3')),
    ];
    const scores = nodes.map((n) => p.score(pod, n));
    expect(scores).toEqual([10, 40, 0]);
    p.normalizeScores(scores);
    expect(scores).toEqual([25, 100, 0]);
  });
});

describe('TaintToleration score', () => {
  it('ranks nodes with fewer untolerated PreferNoSchedule taints higher', () => {
    const p = new TaintToleration();
    const soft = (k: string) => ({ key: k, value: 'v', effect: 'PreferNoSchedule' as const });
    const nodes = [
      infoOf(makeNode('n1')),
      infoOf(makeNode('n2', { taints: [soft('a')] })),
      infoOf(makeNode('n3', { taints: [soft('a'), soft('b')] })),
    ];
    const pod = makePod('x', {
      spec: { tolerations: [{ key: 'b', operator: 'Exists', effect: 'PreferNoSchedule' }] },
    });
    const state = new CycleState();
    const scores = nodes.map((n) => p.score(pod, n, state));
    expect(scores).toEqual([0, 1, 1]);
    p.normalizeScores(scores);
    expect(scores).toEqual([100, 0, 0]);
  });
});
