import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodeResourcesBalancedAllocation } from '../../../../control-plane/scheduler/plugins/node-resources-balanced-allocation.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('NodeResourcesBalancedAllocation', () => {
  it('gives 100 when cpu and memory fractions are equal and less as they diverge', () => {
    const p = new NodeResourcesBalancedAllocation();
    const node = infoOf(makeNode('n1', { cpu: '4', memory: '8Gi' }));
    expect(p.score(makePod('a', { cpu: '2', memory: '4Gi' }), node, new CycleState())).toBe(100);
    // cpu 1/4 = 0.25, memory 6/8 = 0.75: std 0.25 -> 75
    expect(p.score(makePod('b', { cpu: '1', memory: '6Gi' }), node, new CycleState())).toBe(75);
  });
});
