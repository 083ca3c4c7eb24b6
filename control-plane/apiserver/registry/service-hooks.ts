import type { Service, ServicePort } from 'kubernetes-types/core/v1.js';
import type { KubeObject } from '../../../api/object.js';
import type { KindHooks } from './hooks.js';
import type { ServiceAllocator } from './service-allocator.js';

const usesNodePorts = (svc: Service) => svc.spec?.type === 'NodePort' || svc.spec?.type === 'LoadBalancer';
const wantsClusterIp = (svc: Service) => svc.spec?.type !== 'ExternalName' && svc.spec?.clusterIP !== 'None';
const ownerOf = (obj: KubeObject) => obj.metadata.uid ?? '';
/** As upstream: a LoadBalancer with externalTrafficPolicy Local gets a node port for health checks. */
const wantsHealthCheckPort = (svc: Service) =>
  svc.spec?.type === 'LoadBalancer' && svc.spec?.externalTrafficPolicy === 'Local';

/** ClusterIP and NodePort allocation around the Service's writes. */
export function serviceHooks(allocator: ServiceAllocator): KindHooks {
  return {
    prepareForCreate(obj) {
      obj.status = { loadBalancer: {} };
    },
    async beforeCreate(obj) {
      const svc = obj as unknown as Service;
      const spec = svc.spec ?? {};
      const owner = ownerOf(obj);
      const claimed: { ips: string[]; ports: number[] } = { ips: [], ports: [] };
      try {
        if (wantsClusterIp(svc)) {
          const ip = await allocator.allocateIp(owner, spec.clusterIP || undefined);
          claimed.ips.push(ip);
          spec.clusterIP = ip;
          spec.clusterIPs = [ip];
        } else if (spec.type === 'ExternalName') {
          delete spec.clusterIP;
          delete spec.clusterIPs;
        } else {
          spec.clusterIPs = ['None'];
        }
        if (usesNodePorts(svc)) {
          for (const port of spec.ports ?? []) {
            port.nodePort = await allocator.allocatePort(owner, port.nodePort || undefined);
            claimed.ports.push(port.nodePort);
          }
        }
        if (wantsHealthCheckPort(svc)) {
          spec.healthCheckNodePort = await allocator.allocatePort(
            owner,
            spec.healthCheckNodePort || undefined,
          );
          claimed.ports.push(spec.healthCheckNodePort);
        } else delete spec.healthCheckNodePort;
      } catch (e) {
        await releaseAll(allocator, owner, claimed.ips, claimed.ports);
        throw e;
      }
    },
    async createFailed(obj) {
      const svc = obj as unknown as Service;
      await releaseAll(allocator, ownerOf(obj), ipsOf(svc), nodePortsOf(svc));
    },
    async beforeUpdate(obj, old) {
      const svc = obj as unknown as Service;
      const prev = old as unknown as Service;
      const spec = svc.spec ?? {};
      const owner = ownerOf(old);
      // The ClusterIP stays unless the type moves to or from ExternalName.
      if (wantsClusterIp(svc) && !wantsClusterIp(prev)) {
        const ip = await allocator.allocateIp(owner, spec.clusterIP || undefined);
        spec.clusterIP = ip;
        spec.clusterIPs = [ip];
      } else if (wantsClusterIp(svc) && wantsClusterIp(prev)) {
        spec.clusterIP = prev.spec?.clusterIP;
        spec.clusterIPs = prev.spec?.clusterIPs;
      } else if (
        !wantsClusterIp(svc) &&
        wantsClusterIp(prev) &&
        prev.spec?.clusterIP &&
        prev.spec.clusterIP !== 'None'
      ) {
        await allocator.releaseIp(owner, prev.spec.clusterIP);
      }
      const before = new Set(nodePortsOf(prev));
      const keep = new Set<number>();
      if (usesNodePorts(svc)) {
        for (const port of spec.ports ?? []) {
          if (port.nodePort && before.has(port.nodePort)) {
            keep.add(port.nodePort);
            continue;
          }
          const carried = sameServicePort(prev.spec?.ports ?? [], port)?.nodePort;
          port.nodePort =
            carried && !keep.has(carried)
              ? carried
              : await allocator.allocatePort(owner, port.nodePort || undefined);
          keep.add(port.nodePort);
        }
      } else {
        for (const port of spec.ports ?? []) delete port.nodePort;
      }
      if (wantsHealthCheckPort(svc)) {
        const prevPort = prev.spec?.healthCheckNodePort;
        if (
          prevPort &&
          before.has(prevPort) &&
          (!spec.healthCheckNodePort || spec.healthCheckNodePort === prevPort)
        )
          spec.healthCheckNodePort = prevPort;
        else
          spec.healthCheckNodePort = await allocator.allocatePort(
            owner,
            spec.healthCheckNodePort || undefined,
          );
        keep.add(spec.healthCheckNodePort);
      } else delete spec.healthCheckNodePort;
      for (const port of before) if (!keep.has(port)) await allocator.releasePort(owner, port);
    },
    async afterDelete(obj) {
      const svc = obj as unknown as Service;
      await releaseAll(allocator, ownerOf(obj), ipsOf(svc), nodePortsOf(svc));
    },
  };
}

function sameServicePort(ports: ServicePort[], port: ServicePort): ServicePort | undefined {
  return ports.find((p) => p.port === port.port && (p.protocol ?? 'TCP') === (port.protocol ?? 'TCP'));
}

function ipsOf(svc: Service): string[] {
  const ip = svc.spec?.clusterIP;
  return ip && ip !== 'None' ? [ip] : [];
}

function nodePortsOf(svc: Service): number[] {
  return [...(svc.spec?.ports ?? []).map((p) => p.nodePort), svc.spec?.healthCheckNodePort].filter(
    (p): p is number => typeof p === 'number' && p > 0,
  );
}

async function releaseAll(
  allocator: ServiceAllocator,
  owner: string,
  ips: string[],
  ports: number[],
): Promise<void> {
  for (const ip of ips) await allocator.releaseIp(owner, ip);
  for (const port of ports) await allocator.releasePort(owner, port);
}
