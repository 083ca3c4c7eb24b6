import type { PluginFactory } from './framework.js';
import { ImageLocality } from './plugins/image-locality.js';
import { InterPodAffinity } from './plugins/inter-pod-affinity.js';
import { NodeAffinity } from './plugins/node-affinity.js';
import { NodeName } from './plugins/node-name.js';
import { NodePorts } from './plugins/node-ports.js';
import { NodeResourcesBalancedAllocation } from './plugins/node-resources-balanced-allocation.js';
import { NodeResourcesFit } from './plugins/node-resources-fit.js';
import { NodeUnschedulable } from './plugins/node-unschedulable.js';
import { PodTopologySpread } from './plugins/pod-topology-spread.js';
import { TaintToleration } from './plugins/taint-toleration.js';

/**
 * Every plugin skiff knows, by upstream name; those that need the cluster read it through the
 * Handle. Preemption (upstream's DefaultPreemption PostFilter) is built into the scheduler.
 */
export const defaultRegistry: Readonly<Record<string, PluginFactory>> = {
  NodeUnschedulable: () => new NodeUnschedulable(),
  NodeName: () => new NodeName(),
  TaintToleration: () => new TaintToleration(),
  NodeAffinity: () => new NodeAffinity(),
  NodePorts: () => new NodePorts(),
  NodeResourcesFit: () => new NodeResourcesFit(),
  NodeResourcesBalancedAllocation: () => new NodeResourcesBalancedAllocation(),
  PodTopologySpread: (h) => new PodTopologySpread(h),
  InterPodAffinity: (h) => new InterPodAffinity(h),
  ImageLocality: (h) => new ImageLocality(h),
};
