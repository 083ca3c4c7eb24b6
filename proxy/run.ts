import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { RESOURCES } from '../api/resources.js';
import { realClock } from '../client/clock.js';
import { Informer } from '../client/informer.js';
import type { ApiClient, ResourceRef } from '../client/rest-client.js';
import { createBackend, type ProxyMode } from './backend.js';
import { startHealthServer } from './health-server.js';
import { localhostNodePortsEnabled } from './iptables-ruleset.js';
import { Proxier } from './proxier.js';
import { enableRouteLocalnet } from './route-localnet.js';
import { ServiceHealthServer } from './service-health.js';

export interface ProxyOptions {
  api: ApiClient;
  log: Logger;
  signal: AbortSignal;
  mode: ProxyMode;
  nodeName: string;
  nodeIPs: string[];
  clusterCidr: string;
  minSyncPeriodMs?: number;
  /**
   * iptables mode: NodePorts answer on 127.0.0.1 too when `nodeIPs` is empty or holds a loopback
   * address, and route_localnet is set (upstream's --iptables-localhost-nodeports). Default true.
   * nftables mode has no localhost NodePorts, as upstream.
   */
  localhostNodePorts?: boolean;
  /**
   * `host:port` answering /healthz and /metrics (several allowed); none when empty. Like the
   * healthCheckNodePorts and the rules, listeners live in the process's network namespace: to
   * serve a node namespace on one machine, run the proxy in it (`ip netns exec NODE skiff proxy`).
   */
  serveAddresses?: string[];
  /** /healthz fails when a change has waited this long. Default 60 s. */
  staleAfterMs?: number;
  /** Address healthCheckNodePorts listen on. Default 0.0.0.0; empty disables them. */
  healthCheckAddress?: string;
  /** Called once the proxier exists. */
  onStarted?: (proxier: Proxier) => void;
}

function resource(group: string, plural: string): ResourceRef {
  const def = RESOURCES.find((r) => r.group === group && r.plural === plural);
  if (!def) throw new Error(`resource ${plural}.${group} is not registered`);
  return def;
}

/** Runs the service proxy until the signal aborts. */
export async function startProxy(opts: ProxyOptions): Promise<void> {
  const log = opts.log.child({ component: 'proxy' });
  const backend = createBackend(opts.mode, {
    nodeName: opts.nodeName,
    nodeIPs: opts.nodeIPs,
    clusterCidr: opts.clusterCidr,
    localhostNodePorts: opts.localhostNodePorts,
  });
  if (opts.mode === 'iptables' && localhostNodePortsEnabled(opts)) {
    try {
      await enableRouteLocalnet();
      log.info('route_localnet set for NodePorts on localhost');
    } catch (e) {
      log.error({ err: e }, 'cannot set route_localnet: NodePorts on localhost will not work');
    }
  }
  const hcAddress = opts.healthCheckAddress ?? '0.0.0.0';
  const proxier = new Proxier({
    backend,
    log,
    nodeName: opts.nodeName,
    minSyncPeriodMs: opts.minSyncPeriodMs,
    serviceHealth: hcAddress ? new ServiceHealthServer(log, hcAddress) : undefined,
  });
  const services = new Informer<Service>(opts.api, resource('', 'services'), { log });
  const slices = new Informer<EndpointSlice>(opts.api, resource('discovery.k8s.io', 'endpointslices'), {
    log,
  });
  services.addEventHandler({
    onAdd: (s) => proxier.onServiceChange(undefined, s),
    onUpdate: (o, s) => proxier.onServiceChange(o, s),
    onDelete: (s) => proxier.onServiceChange(s, undefined),
  });
  slices.addEventHandler({
    onAdd: (s) => proxier.onSliceChange(undefined, s),
    onUpdate: (o, s) => proxier.onSliceChange(o, s),
    onDelete: (s) => proxier.onSliceChange(s, undefined),
  });
  const servers = await Promise.all(
    (opts.serveAddresses ?? []).filter(Boolean).map((bind) =>
      startHealthServer({
        bind,
        health: proxier,
        clock: realClock,
        staleAfterMs: opts.staleAfterMs ?? 60_000,
        log,
      }),
    ),
  );
  proxier.start();
  opts.onStarted?.(proxier);
  log.info({ mode: opts.mode, nodeName: opts.nodeName, nodeIPs: opts.nodeIPs }, 'proxy starting');
  const running = [services.start(opts.signal), slices.start(opts.signal)];
  void services.waitForSync(opts.signal).then(
    () => proxier.setServicesSynced(),
    () => {},
  );
  void slices.waitForSync(opts.signal).then(
    () => proxier.setSlicesSynced(),
    () => {},
  );
  await Promise.all(running);
  await proxier.stop();
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  log.info('proxy stopped');
}
