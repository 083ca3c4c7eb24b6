import { type ChildProcess, spawn } from 'node:child_process';
import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient } from '../../../client/rest-client.js';
import { createBackend } from '../../../proxy/backend.js';
import { SKIFF_BIN, startSkiffServer, type TestServer } from '../../support/skiff-server.js';
import { inNs, NetnsLab, requirePrerequisites } from './netns-lab.js';

const SERVICES = RESOURCES.find((r) => r.group === '' && r.plural === 'services')!;
const SLICES = RESOURCES.find((r) => r.group === 'discovery.k8s.io' && r.plural === 'endpointslices')!;
const NODE_NAME = 'lab-node';
const NODE_PORT = 30080;
const HEALTH_PORT = 30081;

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Endpoints on this node or another: `[ip, node]`. */
function endpointSlice(endpoints: [string, string][]): EndpointSlice {
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
    endpoints: endpoints.map(([ip, nodeName]) => ({
      addresses: [ip],
      conditions: { ready: true },
      nodeName,
    })),
  };
}

/** HTTP status seen from `ns` (0 when the connection failed), and the body. */
async function get(ns: string, url: string): Promise<{ status: number; body: string }> {
  const out = await inNs(ns, 'curl', ['-s', '--max-time', '2', '-w', '\n%{http_code}', url]).catch(
    (e: { stdout?: string }) => e.stdout ?? '\n0',
  );
  const i = out.lastIndexOf('\n');
  return { status: Number(out.slice(i + 1)) || 0, body: out.slice(0, i) };
}

/**
 * `skiff proxy` runs as an operator runs it for a node namespace on one machine: the built CLI
 * under `ip netns exec`, so that its rules, /healthz, /metrics and healthCheckNodePorts all live
 * in the node's namespace. The API server stays on the host's loopback, relayed into the node.
 */
describe.each(['nftables', 'iptables'] as const)('skiff proxy (%s) in a node namespace', (mode) => {
  let server: TestServer;
  let api: ApiClient;
  const lab = new NetnsLab();
  let proxy: ChildProcess | undefined;
  let output = '';

  beforeAll(async () => {
    requirePrerequisites();
    // Both settle before a failure is thrown, so that afterAll cleans up all the lab made.
    const [srv, setup] = await Promise.allSettled([startSkiffServer(), lab.setup(2)]);
    if (srv.status === 'fulfilled') server = srv.value;
    if (srv.status === 'rejected') throw srv.reason;
    if (setup.status === 'rejected') throw setup.reason;
    api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'proxy-test' });
    await lab.relayLoopbackPort(lab.node, server.port);
    proxy = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.node,
        SKIFF_BIN,
        'proxy',
        '--kubeconfig',
        server.kubeconfig,
        '--proxy-mode',
        mode,
        '--hostname-override',
        NODE_NAME,
        '--cluster-cidr',
        '10.244.0.0/16',
        '--min-sync-period',
        '100ms',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, SKIFF_LOG_LEVEL: 'info' } },
    );
    proxy.stdout?.on('data', (d) => (output += d));
    proxy.stderr?.on('data', (d) => (output += d));
  });

  afterAll(async () => {
    if (proxy && proxy.exitCode === null) {
      const exited = new Promise((r) => proxy?.once('exit', r));
      proxy.kill('SIGTERM');
      const timer = setTimeout(() => proxy?.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await createBackend(mode, { nodeName: NODE_NAME, nodeIPs: [], clusterCidr: '', netns: lab.node })
      .cleanup()
      .catch(() => {});
    await api?.close();
    await server?.stop();
    await lab.teardown();
  });

  it('programs Services and EndpointSlices into rules and answers health checks in the node', async () => {
    onTestFailed(() => {
      console.error(`skiff proxy (${mode}) output:\n${output}`);
    });
    // Healthy once the first rules are in: the proxy is up in the node namespace.
    await until(
      'proxy healthy',
      async () => ((await get(lab.node, 'http://127.0.0.1:10256/healthz')).status === 200 ? true : undefined),
      30_000,
    );
    const svc = await api.create<Service>(
      SERVICES,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'web', namespace: 'default' },
        // No selector: the slices are this test's own, whatever controllers run. The API
        // server does not allocate healthCheckNodePorts: the test names one.
        spec: {
          type: 'LoadBalancer',
          externalTrafficPolicy: 'Local',
          healthCheckNodePort: HEALTH_PORT,
          ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: NODE_PORT }],
        },
      },
      { namespace: 'default' },
    );
    const ip = svc.spec?.clusterIP;
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const url = `http://${ip}/`;
    const health = `http://${lab.nodeIP}:${HEALTH_PORT}/`;

    // Without endpoints: refused at once, and the health check port says so to load balancers.
    await until('reject without endpoints', async () => {
      const r = await lab.curl(lab.client, url, 2);
      return r.code === 7 && r.ms < 1500 ? true : undefined;
    });
    await until('health check 503', async () =>
      (await get(lab.client, health)).status === 503 ? true : undefined,
    );

    const created = await api.create<EndpointSlice>(
      SLICES,
      endpointSlice([
        [lab.pods[0].ip, NODE_NAME],
        [lab.pods[1].ip, 'other-node'],
      ]),
      { namespace: 'default' },
    );
    await until('both backends reached through the ClusterIP', async () => {
      const seen = new Set(await lab.fetchMany(url, 10));
      return seen.has('pod-0') && seen.has('pod-1') ? true : undefined;
    });
    const hc = await get(lab.client, health);
    expect(hc.status).toBe(200);
    expect(JSON.parse(hc.body)).toEqual({
      service: { namespace: 'default', name: 'web' },
      localEndpoints: 1,
      serviceProxyHealthy: true,
    });
    // The NodePort keeps to the local endpoint and the client's address.
    const nodePortUrl = `http://${lab.nodeIP}:${NODE_PORT}`;
    expect(new Set(await lab.fetchMany(`${nodePortUrl}/`, 8))).toEqual(new Set(['pod-0']));
    expect(await lab.sourceSeenBy(lab.client, `${nodePortUrl}/cgi-bin/ip`)).toBe(lab.clientIP);

    // Localhost NodePorts: iptables mode only, with route_localnet set by the proxy in its namespace.
    const localhost = await lab.curl(lab.node, `http://127.0.0.1:${NODE_PORT}/`, 2);
    const routeLocalnet = (await inNs(lab.node, 'sysctl', ['-n', 'net.ipv4.conf.all.route_localnet'])).trim();
    if (mode === 'iptables') {
      expect(['pod-0', 'pod-1']).toContain(localhost.body);
      expect(routeLocalnet).toBe('1');
    } else {
      expect(localhost.code).toBe(7);
      expect(routeLocalnet).toBe('0');
    }

    const updated = endpointSlice([[lab.pods[1].ip, 'other-node']]);
    updated.metadata = { ...updated.metadata, resourceVersion: created.metadata?.resourceVersion };
    await api.update<EndpointSlice>(SLICES, updated, { namespace: 'default' });
    await until('removed backend no longer used', async () => {
      const seen = new Set(await lab.fetchMany(url, 10));
      return seen.size === 1 && seen.has('pod-1') ? true : undefined;
    });
    const none = await get(lab.client, health);
    expect(none.status).toBe(503);
    expect(JSON.parse(none.body)).toMatchObject({ localEndpoints: 0 });

    await api.delete(SERVICES, 'web', { namespace: 'default' });
    await until('service gone', async () =>
      (await lab.curl(lab.client, url, 1)).body === '' ? true : undefined,
    );
    await until('health check port closed', async () =>
      (await get(lab.client, health)).status === 0 ? true : undefined,
    );

    // /healthz on every address of the node (default 0.0.0.0:10256), /metrics on its loopback.
    const healthz = await until('healthy', async () => {
      const r = await get(lab.client, `http://${lab.nodeIP}:10256/healthz`);
      return r.status === 200 ? r : undefined;
    });
    expect(JSON.parse(healthz.body)).toMatchObject({ healthy: true });
    const metrics = await get(lab.node, 'http://127.0.0.1:10249/metrics');
    expect(metrics.body).toMatch(
      new RegExp(`skiff_proxy_sync_duration_seconds_count\\{mode="${mode}"\\} [1-9]`),
    );
    expect(metrics.body).toMatch(/skiff_proxy_network_programming_duration_seconds_count [1-9]/);
  });
});
