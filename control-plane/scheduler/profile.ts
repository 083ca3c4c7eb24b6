export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

export interface WeightedPlugin {
  name: string;
  weight: number;
}

/** Which plugins run, in order, for pods that name this scheduler. */
export interface Profile {
  schedulerName: string;
  filters: string[];
  scores: WeightedPlugin[];
  /** 0 = adaptive, as upstream. */
  percentageOfNodesToScore: number;
}

/** Upstream's default plugin set and score weights, limited to the plugins skiff has. */
export function defaultProfile(schedulerName = DEFAULT_SCHEDULER_NAME): Profile {
  return {
    schedulerName,
    filters: [
      'NodeUnschedulable',
      'NodeName',
      'TaintToleration',
      'NodeAffinity',
      'NodePorts',
      'NodeResourcesFit',
      'PodTopologySpread',
      'InterPodAffinity',
    ],
    scores: [
      { name: 'TaintToleration', weight: 3 },
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 1 },
      { name: 'ImageLocality', weight: 1 },
    ],
    percentageOfNodesToScore: 0,
  };
}
