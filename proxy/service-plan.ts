import {
  hasExternalDestinations,
  localEndpoints,
  type ProxyEndpoint,
  type ServicePortInfo,
  usableEndpoints,
} from './service-port-map.js';

/** Where traffic to one kind of destination of a service port goes. */
export type Route = 'cluster' | 'local' | 'reject' | 'drop';

/** Decisions both renderers share for one service port. */
export interface ServicePlan {
  /** Endpoints used by cluster-wide routing. */
  cluster: ProxyEndpoint[];
  /** Endpoints on this node (for Local traffic policies). */
  local: ProxyEndpoint[];
  /** Traffic to the ClusterIP(s). */
  internal: Route;
  /** Traffic to NodePort, external and LB IPs; undefined when the port has none of those. */
  external?: Route;
  needClusterChain: boolean;
  needLocalChain: boolean;
}

/**
 * As upstream: no usable endpoint at all → reject everywhere; internalTrafficPolicy Local without
 * local endpoints → reject; externalTrafficPolicy Local without local endpoints → drop external
 * traffic (from outside the cluster; pods and the node itself still reach cluster endpoints).
 */
export function planService(svc: ServicePortInfo, nodeName: string): ServicePlan {
  const cluster = usableEndpoints(svc.endpoints);
  const local = localEndpoints(svc.endpoints, nodeName);
  const hasExternal = hasExternalDestinations(svc);
  let internal: Route;
  let external: Route | undefined;
  if (cluster.length === 0) {
    internal = 'reject';
    external = hasExternal ? 'reject' : undefined;
  } else {
    internal = svc.internalPolicyLocal ? (local.length > 0 ? 'local' : 'reject') : 'cluster';
    if (hasExternal) external = svc.externalPolicyLocal ? (local.length > 0 ? 'local' : 'drop') : 'cluster';
  }
  return {
    cluster,
    local,
    internal,
    external,
    needClusterChain: internal === 'cluster' || (external !== undefined && external !== 'reject'),
    needLocalChain: internal === 'local' || external === 'local',
  };
}
