import type { PluginFactory } from './framework.js';
import { NodeAffinity } from './plugins/node-affinity.js';
import { NodeName } from './plugins/node-name.js';
import { NodePorts } from './plugins/node-ports.js';
import { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation.js';
import { NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NodeUnschedulable } from './plugins/node-unschedulable.js';
import { TaintToleration } from './plugins/taint-toleration.js';

/**
 * Every plugin skiff knows, by upstream name. Later plugins (InterPodAffinity,
 * PodTopologySpread, ImageLocality, DefaultPreemption) register here and read the cluster
 * through the Handle.
 */
export const defaultRegistry: Readonly<Record<string, PluginFactory>> = {
  NodeUnschedulable: () => new NodeUnschedulable(),
  NodeName: () => new NodeName(),
  TaintToleration: () => new TaintToleration(),
  NodeAffinity: () => new NodeAffinity(),
  NodePorts: () => new NodePorts(),
  NodeResourcesFit: () => new NodeResourcesFit(),
  NodeResourcesBalancedAllocation: () => new NodeResourcesBalancedAllocation(),
};
