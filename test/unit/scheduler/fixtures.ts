import type { Container, Node, Pod, Taint } from 'kubernetes-types/core/v1.js';
import { NodeInfo } from '../../../control-plane/scheduler/node-info.js';

export function makeNode(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    pods?: number;
    labels?: Record<string, string>;
    taints?: Taint[];
    unschedulable?: boolean;
  } = {},
): Node {
  const alloc = {
    cpu: opts.cpu ?? '4',
    memory: opts.memory ?? '8Gi',
    pods: String(opts.pods ?? 110),
    'ephemeral-storage': '100Gi',
  };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name, labels: opts.labels ?? {} },
    spec: { taints: opts.taints, unschedulable: opts.unschedulable },
    status: { allocatable: alloc, capacity: alloc },
  };
}

export function makePod(
  name: string,
  opts: {
    cpu?: string;
    memory?: string;
    nodeName?: string;
    spec?: Partial<Pod['spec']>;
    containers?: Container[];
    priority?: number;
    created?: string;
  } = {},
): Pod {
  const requests: Record<string, string> = {};
  if (opts.cpu) requests.cpu = opts.cpu;
  if (opts.memory) requests.memory = opts.memory;
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      namespace: 'default',
      uid: `uid-${name}`,
      creationTimestamp: opts.created ?? '2024-01-01T00:00:00Z',
    },
    spec: {
      nodeName: opts.nodeName,
      priority: opts.priority,
      containers: opts.containers ?? [{ name: 'c', image: 'i', resources: { requests } }],
      ...opts.spec,
    },
  };
}

export function infoOf(node: Node, ...pods: Pod[]): NodeInfo {
  const info = new NodeInfo(node);
  for (const p of pods) info.addPod(p);
  return info;
}
