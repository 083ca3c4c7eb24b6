import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { TaintToleration } from '../../../../control-plane/scheduler/plugins/taint-toleration.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('TaintToleration filter', () => {
  const tainted = infoOf(
    makeNode('n1', { taints: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }),
  );

  it('rejects an untolerated NoSchedule taint with the upstream message', () => {
    expect(new TaintToleration().filter(makePod('a'), tainted)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) had untolerated taint {dedicated: gpu}'],
    });
  });

  it('accepts Equal and Exists tolerations, and ignores PreferNoSchedule', () => {
    const p = new TaintToleration();
    const equal = makePod('a', {
      spec: { tolerations: [{ key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] },
    });
    const exists = makePod('b', { spec: { tolerations: [{ operator: 'Exists' }] } });
    const wrongValue = makePod('c', { spec: { tolerations: [{ key: 'dedicated', value: 'cpu' }] } });
    expect(p.filter(equal, tainted).code).toBe('Success');
    expect(p.filter(exists, tainted).code).toBe('Success');
    expect(p.filter(wrongValue, tainted).code).toBe('UnschedulableAndUnresolvable');
    const soft = infoOf(makeNode('n2', { taints: [{ key: 'k', value: 'v', effect: 'PreferNoSchedule' }] }));
    expect(p.filter(makePod('d'), soft).code).toBe('Success');
  });

  it('rejects NoExecute taints too', () => {
    const ne = infoOf(makeNode('n1', { taints: [{ key: 'k', effect: 'NoExecute' }] }));
    expect(new TaintToleration().filter(makePod('a'), ne).reasons).toEqual([
      'node(s) had untolerated taint {k: }',
    ]);
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
