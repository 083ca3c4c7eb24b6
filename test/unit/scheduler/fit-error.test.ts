import { describe, expect, it } from 'vitest';
import { fitErrorMessage } from '../../../control-plane/scheduler/fit-error.js';
import { unresolvable, unschedulable } from '../../../control-plane/scheduler/framework.js';
import { numFeasibleNodesToFind } from '../../../control-plane/scheduler/nodes-to-score.js';

describe('fitErrorMessage', () => {
  it('counts reasons across nodes, sorted, in the upstream format', () => {
    const msg = fitErrorMessage({
      numAllNodes: 3,
      nodeVerdicts: new Map([
        ['n1', unschedulable('Insufficient cpu')],
        ['n2', unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
        ['n3', unresolvable('node(s) had untolerated taint {dedicated: gpu}')],
      ]),
      postFilterMessage: 'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    });
    expect(msg).toBe(
      '0/3 nodes are available: 1 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}. ' +
        'preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.',
    );
  });

  it('counts several reasons of one node separately', () => {
    const msg = fitErrorMessage({
      numAllNodes: 1,
      nodeVerdicts: new Map([['n1', unschedulable('Insufficient cpu', 'Insufficient memory')]]),
    });
    expect(msg).toMatch(/^0\/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory\./);
  });
});

describe('numFeasibleNodesToFind', () => {
  it('evaluates every node on small clusters', () => {
    expect(numFeasibleNodesToFind(5)).toBe(5);
    expect(numFeasibleNodesToFind(99)).toBe(99);
  });

  it('samples adaptively on big clusters as upstream', () => {
    // 50 - 5000/125 = 10%
    expect(numFeasibleNodesToFind(5000)).toBe(500);
    // 50 - 1000/125 = 42%
    expect(numFeasibleNodesToFind(1000)).toBe(420);
    // at least 5%
    expect(numFeasibleNodesToFind(10_000)).toBe(500);
    // at least 100 nodes
    expect(numFeasibleNodesToFind(150, 10)).toBe(100);
    expect(numFeasibleNodesToFind(1000, 100)).toBe(1000);
  });
});
