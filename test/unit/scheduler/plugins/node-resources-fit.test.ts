import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodeResourcesFit } from '../../../../control-plane/scheduler/plugins/node-resources-fit.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

const state = () => new CycleState();

describe('NodeResourcesFit filter', () => {
  const p = new NodeResourcesFit();

  it('reports each insufficient resource as upstream', () => {
    const node = infoOf(
      makeNode('n1', { cpu: '2', memory: '1Gi' }),
      makePod('x', { cpu: '1500m', memory: '512Mi' }),
    );
    expect(p.filter(makePod('a', { cpu: '500m' }), node, state()).code).toBe('Success');
    expect(p.filter(makePod('a', { cpu: '600m', memory: '600Mi' }), node, state())).toEqual({
      code: 'Unschedulable',
      reasons: ['Insufficient cpu', 'Insufficient memory'],
    });
  });

  it('counts pods against allocatable pods', () => {
    const node = infoOf(makeNode('n1', { pods: 1 }), makePod('x'));
    expect(p.filter(makePod('a'), node, state()).reasons).toEqual(['Too many pods']);
  });

  it('takes the larger of the containers sum and the biggest init container, plus overhead', () => {
    const node = infoOf(makeNode('n1', { cpu: '2' }));
    const pod = (init: string, overhead?: string) =>
      makePod('a', {
        containers: [
          { name: 'a', image: 'i', resources: { requests: { cpu: '500m' } } },
          { name: 'b', image: 'i', resources: { requests: { cpu: '500m' } } },
        ],
        spec: {
          initContainers: [{ name: 'init', image: 'i', resources: { requests: { cpu: init } } }],
          overhead: overhead ? { cpu: overhead } : undefined,
        },
      });
    expect(p.filter(pod('1500m'), node, state()).code).toBe('Success');
    expect(p.filter(pod('2100m'), node, state()).reasons).toEqual(['Insufficient cpu']);
    expect(p.filter(pod('1', '1100m'), node, state()).reasons).toEqual(['Insufficient cpu']);
    expect(p.filter(pod('1', '1'), node, state()).code).toBe('Success');
  });

  it('counts restartable init containers (sidecars) beside the regular containers', () => {
    const node = infoOf(makeNode('n1', { cpu: '1' }));
    const pod = makePod('a', {
      containers: [{ name: 'a', image: 'i', resources: { requests: { cpu: '600m' } } }],
      spec: {
        initContainers: [
          { name: 's', image: 'i', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
        ],
      },
    });
    expect(p.filter(pod, node, state()).reasons).toEqual(['Insufficient cpu']);
  });

  it('checks extended resources and ephemeral storage', () => {
    const node = infoOf(makeNode('n1'));
    const gpu = makePod('a', {
      containers: [
        {
          name: 'a',
          image: 'i',
          resources: { requests: { 'example.com/gpu': '1', 'ephemeral-storage': '200Gi' } },
        },
      ],
    });
    expect(p.filter(gpu, node, state()).reasons).toEqual([
      'Insufficient ephemeral-storage',
      'Insufficient example.com/gpu',
    ]);
  });
});
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
