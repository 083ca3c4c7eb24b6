import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodeAffinity } from '../../../../control-plane/scheduler/plugins/node-affinity.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('NodeAffinity filter', () => {
  const node = infoOf(makeNode('n1', { labels: { zone: 'a', disk: 'ssd', cores: '8' } }));
  const p = new NodeAffinity();
  const withTerms = (...exprs: { key: string; operator: string; values?: string[] }[]) =>
    makePod('a', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [{ matchExpressions: exprs }],
            },
          },
        },
      },
    });

  it('matches nodeSelector labels', () => {
    expect(
      p.filter(makePod('a', { spec: { nodeSelector: { zone: 'a' } } }), node, new CycleState()).code,
    ).toBe('Success');
    expect(p.filter(makePod('a', { spec: { nodeSelector: { zone: 'b' } } }), node, new CycleState())).toEqual(
      {
        code: 'UnschedulableAndUnresolvable',
        reasons: ["node(s) didn't match Pod's node affinity/selector"],
      },
    );
  });

  it.each([
    [{ key: 'zone', operator: 'In', values: ['a', 'b'] }, true],
    [{ key: 'zone', operator: 'In', values: ['b'] }, false],
    [{ key: 'zone', operator: 'NotIn', values: ['b'] }, true],
    [{ key: 'zone', operator: 'NotIn', values: ['a'] }, false],
    [{ key: 'disk', operator: 'Exists' }, true],
    [{ key: 'gpu', operator: 'Exists' }, false],
    [{ key: 'gpu', operator: 'DoesNotExist' }, true],
    [{ key: 'disk', operator: 'DoesNotExist' }, false],
    [{ key: 'cores', operator: 'Gt', values: ['4'] }, true],
    [{ key: 'cores', operator: 'Gt', values: ['8'] }, false],
    [{ key: 'cores', operator: 'Lt', values: ['16'] }, true],
    [{ key: 'zone', operator: 'Lt', values: ['16'] }, false],
  ])('required term %j -> %s', (expr, ok) => {
    expect(p.filter(withTerms(expr), node, new CycleState()).code).toBe(
      ok ? 'Success' : 'UnschedulableAndUnresolvable',
    );
  });

  it('ORs terms and ANDs expressions within a term', () => {
    const pod = makePod('a', {
      spec: {
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                {
                  matchExpressions: [
                    { key: 'zone', operator: 'In', values: ['a'] },
                    { key: 'gpu', operator: 'Exists' },
                  ],
                },
                { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
              ],
            },
          },
        },
      },
    });
    expect(p.filter(pod, node, new CycleState()).code).toBe('Success');
    expect(p.filter(pod, infoOf(makeNode('n2', { labels: { zone: 'a' } })), new CycleState()).code).toBe(
      'UnschedulableAndUnresolvable',
    );
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
