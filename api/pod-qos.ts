import type { Pod } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from './quantity.js';

export type QosClass = 'Guaranteed' | 'Burstable' | 'BestEffort';

const COMPUTE = ['cpu', 'memory'];

/** The pod's QoS class from its containers' requests and limits, as upstream's GetPodQOS. */
export function podQosClass(spec: Pod['spec']): QosClass {
  const containers = [...(spec?.containers ?? []), ...(spec?.initContainers ?? [])];
  let anySet = false;
  let guaranteed = true;
  for (const c of containers) {
    const requests = c.resources?.requests ?? {};
    const limits = c.resources?.limits ?? {};
    for (const r of COMPUTE) {
      const req = requests[r];
      const lim = limits[r];
      if (req !== undefined || lim !== undefined) anySet = true;
      if (lim === undefined) {
        guaranteed = false;
        continue;
      }
      // Requests default to limits when unset.
      if (req !== undefined && !quantityEqual(String(req), String(lim))) guaranteed = false;
    }
  }
  if (!anySet) return 'BestEffort';
  return guaranteed ? 'Guaranteed' : 'Burstable';
}

function quantityEqual(a: string, b: string): boolean {
  try {
    return parseQuantity(a).cmp(parseQuantity(b)) === 0;
  } catch {
    return a === b;
  }
}
