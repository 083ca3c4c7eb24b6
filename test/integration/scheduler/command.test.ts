import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient } from '../../../client/rest-client.js';
import { until } from '../../support/eventually.js';
import { freePort } from '../../support/ports.js';
import { REPO_ROOT, startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const PODS = RESOURCES.find((d) => d.plural === 'pods' && d.group === '')!;
const NODES = RESOURCES.find((d) => d.plural === 'nodes' && d.group === '')!;

let server: TestServer;
let api: ApiClient;

beforeAll(async () => {
  server = await startSkiffServer();
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'scheduler-test', qps: 0 });
});

afterAll(async () => {
  await api?.close();
  await server?.stop();
});

/** Runs the built `schedulerCommand()` as its own process, as bin/main.ts will. */
function runCommand(args: string[]): { child: ChildProcess; output: () => string } {
  const script = `
    const { schedulerCommand } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/bin/commands/scheduler.js'))});
    try {
      await schedulerCommand().parseAsync(${JSON.stringify(args)}, { from: 'user' });
    } catch (e) {
      process.stderr.write('skiff: ' + e.message + '\\n');
      process.exit(1);
    }
  `;
  let output = '';
  const child = spawn('bash', [join(REPO_ROOT, 'scripts/node.sh'), '--input-type=module', '-e', script], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, SKIFF_LOG_LEVEL: 'warn' },
  });
  child.stdout?.on('data', (d) => (output += d));
  child.stderr?.on('data', (d) => (output += d));
  return { child, output: () => output };
}

it('skiff scheduler binds pods, serves /healthz and /metrics, and stops on SIGTERM', async () => {
  const alloc = { cpu: '2', memory: '4Gi', pods: '110' };
  await api.create(NODES, {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'cmd-node' },
    status: { allocatable: alloc, capacity: alloc },
  } as Node);
  const port = await freePort();
  const { child, output } = runCommand([
    '--kubeconfig',
    server.kubeconfig,
    '--leader-elect',
    '--health-bind-address',
    `127.0.0.1:${port}`,
  ]);
  try {
    await api.create(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: 'via-command', namespace: 'default' },
        spec: { containers: [{ name: 'c', image: 'busybox', resources: { requests: { cpu: '500m' } } }] },
      } as Pod,
      { namespace: 'default' },
    );
    const node = await until(
      async () => {
        const pod = await api.get<Pod>(PODS, 'via-command', { namespace: 'default' });
        return pod.spec?.nodeName || undefined;
      },
      20_000,
      { retryErrors: true },
    );
    expect(node).toBe('cmd-node');
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
    const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(metrics).toMatch(/skiff_scheduler_schedule_attempts_total\{result="scheduled"\} 1/);
    expect(metrics).toMatch(/skiff_scheduler_pending_pods\{queue="unschedulable"\} 0/);
  } finally {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await exited;
    expect(code, output()).toBe(0);
  }
});

it('skiff scheduler exits 1 with a clear message for an unknown plugin in --scheduler-config', async () => {
  const { writeFileSync, mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const file = join(mkdtempSync(join(tmpdir(), 'skiff-sched-')), 'config.yaml');
  writeFileSync(
    file,
    'profiles:\n- plugins:\n    score:\n      enabled: [{name: ImageLocalityX, weight: 1}]\n',
  );
  const { child, output } = runCommand(['--kubeconfig', server.kubeconfig, '--scheduler-config', file]);
  const code = await new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
  expect(code).toBe(1);
  expect(output()).toContain('scheduler config: plugins.score.enabled: unknown plugin "ImageLocalityX"');
});
