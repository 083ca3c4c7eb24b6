import { describe, expect, it } from 'vitest';
import { NodeUnschedulable } from '../../../../control-plane/scheduler/plugins/node-unschedulable.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('NodeUnschedulable', () => {
  it('rejects cordoned nodes unless the pod tolerates the unschedulable taint', () => {
    const p = new NodeUnschedulable();
    const cordoned = infoOf(makeNode('n1', { unschedulable: true }));
    expect(p.filter(makePod('a'), cordoned)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ['node(s) were unschedulable'],
    });
    const tolerant = makePod('b', {
      spec: {
        tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }],
      },
    });
    expect(p.filter(tolerant, cordoned).code).toBe('Success');
    expect(p.filter(makePod('a'), infoOf(makeNode('n2'))).code).toBe('Success');
  });
});
