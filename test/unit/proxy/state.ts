import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { buildProxyState, type ProxyState } from '../../../proxy/service-port-map.js';
import { sampleObjects } from './fixtures.js';

export function slicesByService(slices: EndpointSlice[]): Map<string, EndpointSlice[]> {
  const m = new Map<string, EndpointSlice[]>();
  for (const s of slices) {
    const k = `${s.metadata?.namespace}/${s.metadata?.labels?.['kubernetes.io/service-name']}`;
    m.set(k, [...(m.get(k) ?? []), s]);
  }
  return m;
}

export function sampleState(): ProxyState {
  const { services, slices } = sampleObjects();
  return buildProxyState(services, slicesByService(slices)).state;
}

export const NODE = { nodeName: 'node-a', nodeIPs: ['192.168.1.10'], clusterCidr: '10.244.0.0/16' };
