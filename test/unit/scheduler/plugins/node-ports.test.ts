import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodePorts } from '../../../../control-plane/scheduler/plugins/node-ports.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

const state = () => new CycleState();

describe('NodePorts', () => {
  const withPort = (name: string, hostPort: number, hostIP?: string, protocol?: string) =>
    makePod(name, {
      containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort, hostIP, protocol }] }],
    });

  it('rejects a host port already taken on the node', () => {
    const node = infoOf(makeNode('n1'), withPort('used', 8080));
    expect(new NodePorts().filter(withPort('a', 8080), node, state())).toEqual({
      code: 'Unschedulable',
      reasons: ["node(s) didn't have free ports for the requested pod ports"],
    });
    expect(new NodePorts().filter(withPort('b', 8081), node, state()).code).toBe('Success');
    expect(new NodePorts().filter(withPort('c', 8080, undefined, 'UDP'), node, state()).code).toBe('Success');
  });

  it('treats 0.0.0.0 as clashing with every address, and distinct addresses as free', () => {
    const node = infoOf(makeNode('n1'), withPort('used', 9000, '10.0.0.1'));
    expect(new NodePorts().filter(withPort('a', 9000, '10.0.0.2'), node, state()).code).toBe('Success');
    expect(new NodePorts().filter(withPort('b', 9000), node, state()).code).toBe('Unschedulable');
    expect(new NodePorts().filter(withPort('c', 9000, '10.0.0.1'), node, state()).code).toBe('Unschedulable');
  });

  it('frees the port when the pod is removed', () => {
    const node = infoOf(makeNode('n1'), withPort('used', 8080));
    node.removePod('default/used');
    expect(new NodePorts().filter(withPort('a', 8080), node, state()).code).toBe('Success');
  });
});

describe('NodePorts preFilter', () => {
  it('skips the filter for a pod without host ports', () => {
    expect(new NodePorts().preFilter(makePod('plain')).code).toBe('Skip');
    const withPort = makePod('p', {
      containers: [{ name: 'c', image: 'i', ports: [{ containerPort: 80, hostPort: 8080 }] }],
    });
    expect(new NodePorts().preFilter(withPort).code).toBe('Success');
  });
});
