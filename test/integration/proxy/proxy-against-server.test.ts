import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { pino } from 'pino';
import { register } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient } from '../../../client/rest-client.js';
import { createBackend } from '../../../proxy/backend.js';
import { startProxy } from '../../../proxy/run.js';
import { freePort } from '../../support/ports.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';
import { NetnsLab, requirePrerequisites } from './netns-lab.js';

const SERVICES = RESOURCES.find((r) => r.group === '' && r.plural === 'services')!;
const SLICES = RESOURCES.find((r) => r.group === 'discovery.k8s.io' && r.plural === 'endpointslices')!;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function endpointSlice(ips: string[]): EndpointSlice {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: {
      name: 'web-abc',
      namespace: 'default',
      labels: { 'kubernetes.io/service-name': 'web' },
      annotations: { 'endpoints.kubernetes.io/last-change-trigger-time': new Date().toISOString() },
    },
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 80, protocol: 'TCP' }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'lab-node' })),
  };
}

describe.each(['nftables', 'iptables'] as const)('skiff proxy (%s) against a real API server', (mode) => {
  let server: TestServer;
  let api: ApiClient;
  const lab = new NetnsLab();
  const ac = new AbortController();
  let running: Promise<void> | undefined;

  beforeAll(async () => {
    requirePrerequisites();
    // Both settle before a failure is thrown, so that afterAll cleans up all the lab made.
    const [srv, setup] = await Promise.allSettled([startSkiffServer(), lab.setup(2)]);
    if (srv.status === 'fulfilled') server = srv.value;
    if (srv.status === 'rejected') throw srv.reason;
    if (setup.status === 'rejected') throw setup.reason;
    api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'proxy-test' });
  });

  afterAll(async () => {
    ac.abort();
    await running;
    await createBackend(mode, { nodeName: 'lab-node', nodeIPs: [], clusterCidr: '', netns: lab.node })
      .cleanup()
      .catch(() => {});
    await api?.close();
    await server?.stop();
    await lab.teardown();
  });

  it('programs Services and EndpointSlices from the API into working rules', async () => {
    const healthPort = await freePort();
    running = startProxy({
      api,
      log: pino({ level: 'silent' }),
      signal: ac.signal,
      mode,
      nodeName: 'lab-node',
      nodeIPs: [lab.nodeIP],
      clusterCidr: '10.244.0.0/16',
      minSyncPeriodMs: 100,
      netns: lab.node,
      serveAddresses: [`127.0.0.1:${healthPort}`],
      healthCheckAddress: '127.0.0.1',
    });
    const svc = await api.create<Service>(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        // No selector: the slices are this test's own, whatever controllers run.
        spec: { ports: [{ name: 'http', port: 80, protocol: 'TCP' }] },
      },
      { namespace: 'default' },
    );
    const ip = svc.spec?.clusterIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const url = `http://${ip}/`;

    // A service without endpoints is refused.
    await until('reject without endpoints', async () => {
      const r = await lab.curl(lab.client, url, 2);
      return r.code === 7 && r.ms < 1500 ? true : undefined;
    });

    const created = await api.create<EndpointSlice>(SLICES, endpointSlice([lab.pods[0].ip, lab.pods[1].ip]), {
      namespace: 'default',
    });
    await until('both backends reached', async () => {
      const seen = new Set(await lab.fetchMany(url, 10));
      return seen.has('pod-0') && seen.has('pod-1') ? true : undefined;
    });

    const updated = endpointSlice([lab.pods[1].ip]);
    updated.metadata = { ...updated.metadata, resourceVersion: created.metadata?.resourceVersion };
    await api.update<EndpointSlice>(SLICES, updated, { namespace: 'default' });
    await until('removed backend no longer used', async () => {
      const seen = new Set(await lab.fetchMany(url, 10));
      return seen.size === 1 && seen.has('pod-1') ? true : undefined;
    });

    await api.delete(SERVICES, 'web', { namespace: 'default' });
    await until('service gone', async () =>
      (await lab.curl(lab.client, url, 1)).body === '' ? true : undefined,
    );

    const healthz = await until('healthy', async () => {
      const r = await fetch(`http://127.0.0.1:${healthPort}/healthz`).catch(() => undefined);
      return r?.status === 200 ? r : undefined;
    });
    expect(await healthz.json()).toMatchObject({ healthy: true });
    const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`skiff_proxy_sync_duration_seconds_count\\{mode="${mode}"\\} [1-9]`));

    const latency = await register.getSingleMetric('skiff_proxy_network_programming_duration_seconds')?.get();
    const count = latency?.values.find((v) => (v as { metricName?: string }).metricName?.endsWith('_count'));
    expect(count?.value ?? 0).toBeGreaterThan(0);
  });
});
