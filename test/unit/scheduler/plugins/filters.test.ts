import { describe, expect, it } from 'vitest';
import { CycleState } from '../../../../control-plane/scheduler/framework.js';
import { NodeAffinity } from '../../../../control-plane/scheduler/plugins/node-affinity.js';
import { NodeName } from '../../../../control-plane/scheduler/plugins/node-name.js';
import { NodePorts } from '../../../../control-plane/scheduler/plugins/node-ports.js';
import { NodeResourcesFit } from '../../../../control-plane/scheduler/plugins/node-resources-fit.js';
import { NodeUnschedulable } from '../../../../control-plane/scheduler/plugins/node-unschedulable.js';
import { TaintToleration } from '../../../../control-plane/scheduler/plugins/taint-toleration.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

const state = () => new CycleState();

describe('NodeName', () => {
  it('accepts any node without spec.nodeName and only the named node otherwise', () => {
    const p = new NodeName();
    expect(p.filter(makePod('a'), infoOf(makeNode('n1'))).code).toBe('Success');
    expect(p.filter(makePod('a', { nodeName: 'n1' }), infoOf(makeNode('n1'))).code).toBe('Success');
    const v = p.filter(makePod('a', { nodeName: 'n2' }), infoOf(makeNode('n1')));
    expect(v).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
    });
  });
});

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
    expect(p.filter(makePod('a', { spec: { nodeSelector: { zone: 'a' } } }), node).code).toBe('Success');
    expect(p.filter(makePod('a', { spec: { nodeSelector: { zone: 'b' } } }), node)).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match Pod's node affinity/selector"],
    });
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
    expect(p.filter(withTerms(expr), node).code).toBe(ok ? 'Success' : 'UnschedulableAndUnresolvable');
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
    expect(p.filter(pod, node).code).toBe('Success');
    expect(p.filter(pod, infoOf(makeNode('n2', { labels: { zone: 'a' } }))).code).toBe(
      'UnschedulableAndUnresolvable',
    );
  });
});

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
