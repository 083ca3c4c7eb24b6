/**
 * `skiff server --agent` (what `npm run up` runs): the whole control plane and a node agent in
 * one process, containerd started by the agent with skiff's config, the bundled images, pod
 * networking from the node's podCIDR, and Service rules from the proxy. It runs inside a
 * network namespace made here, so the bridge, pod addresses and rules stay in there.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, rmdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLED_BUSYBOX_IMAGE } from '../../agent/images/busybox-oci.js';
import { poller } from '../support/eventually.js';
import { kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

const run = promisify(execFile);
const ID = `${process.pid % 10000}${Math.floor(Math.random() * 100)}`;
const NETNS = `skiff-up-${ID}`;
const NODE_IP = '172.31.250.1';
const CGROUP_ROOT = `/skiff-up-${ID}`;

let server: TestServer;
let tmp: string;
let kubectl: ReturnType<typeof kubectlFor>;

const eventually = poller({
  timeoutMs: 60_000,
  intervalMs: 300,
  detail: () => `\n${server?.logs().slice(-3000)}`,
});

async function k(args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(args, stdin, 60_000);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

async function removeCgroups(): Promise<void> {
  const tree = async (path: string): Promise<void> => {
    const dirs = await readdir(path, { withFileTypes: true }).catch(() => []);
    for (const d of dirs) if (d.isDirectory()) await tree(join(path, d.name));
    await rmdir(path).catch(() => undefined);
  };
  for (const h of await readdir('/sys/fs/cgroup').catch(() => [] as string[]))
    await tree(join('/sys/fs/cgroup', h, CGROUP_ROOT));
}

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: httpd
        image: ${BUNDLED_BUSYBOX_IMAGE}
        command: ["sh", "-c", "echo hello from $(hostname) > /tmp/index.html; echo serving; exec httpd -f -p 8080 -h /tmp"]
        ports: [{containerPort: 8080}]
        readinessProbe: {tcpSocket: {port: 8080}, periodSeconds: 1}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{port: 80, targetPort: 8080}]
`;

beforeAll(async () => {
  await run('ip', ['netns', 'add', NETNS]);
  await run('ip', ['-n', NETNS, 'link', 'set', 'lo', 'up']);
  // No dummy module here: a veth pair with both ends in the namespace gives the node its address.
  await run('ip', ['-n', NETNS, 'link', 'add', 'node0', 'type', 'veth', 'peer', 'name', 'node0p']);
  await run('ip', ['-n', NETNS, 'link', 'set', 'node0p', 'up']);
  await run('ip', ['-n', NETNS, 'addr', 'add', `${NODE_IP}/24`, 'dev', 'node0']);
  await run('ip', ['-n', NETNS, 'link', 'set', 'node0', 'up']);
  tmp = await mkdtemp(join(tmpdir(), 'skiff-up-'));
  server = await startSkiffServer(['--agent'], {
    components: true,
    netns: NETNS,
    env: {
      SKIFF_NODE_NAME: 'up-node',
      SKIFF_NODE_IP: NODE_IP,
      SKIFF_ROOT_DIR: join(tmp, 'kubelet'),
      SKIFF_CONTAINER_RUNTIME_ENDPOINT: `unix://${join(tmp, 'run', 'containerd.sock')}`,
      SKIFF_CNI_CONF_DIR: join(tmp, 'net.d'),
      SKIFF_CNI_IPAM_DATA_DIR: join(tmp, 'ipam'),
      SKIFF_POD_LOGS_DIR: join(tmp, 'logs'),
      SKIFF_CGROUP_ROOT: CGROUP_ROOT,
    },
  });
  kubectl = kubectlFor(server.kubeconfig, { netns: NETNS });
}, 120_000);

afterAll(async () => {
  if (kubectl) {
    await kubectl(['delete', 'deployment,pod', '--all', '--wait=true', '--timeout=60s'], undefined, 90_000);
    // The pods' containers live in containerd shims, which outlast containerd: wait until the
    // kubelet has removed every sandbox before stopping the agent.
    await eventually('pods removed from the runtime', async () => {
      const { stdout } = await run('nsenter', [
        `--net=/run/netns/${NETNS}`,
        join(import.meta.dirname, '../../bin/skiff'),
        'cri',
        `--runtime-endpoint=unix://${join(tmp, 'run', 'containerd.sock')}`,
        'pods',
      ]).catch(() => ({ stdout: 'header\nerror' }));
      // Only the table's header line left.
      return stdout.trim().split('\n').length <= 1 ? true : undefined;
    }).catch(() => undefined);
  }
  await server?.stop();
  await run('ip', ['netns', 'del', NETNS]).catch(() => undefined);
  await removeCgroups();
  if (tmp) await rm(tmp, { recursive: true, force: true });
}, 180_000);

describe('skiff server --agent (npm run up)', () => {
  it('registers its own node Ready, with containerd started by the agent', async () => {
    await eventually('node Ready', async () => {
      const out = await k([
        'get',
        'node',
        'up-node',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.spec.podCIDR} {.status.nodeInfo.containerRuntimeVersion}',
      ]);
      return out.startsWith('True ') ? out : undefined;
    });
    const out = await k([
      'get',
      'node',
      'up-node',
      '-o',
      'jsonpath={.spec.podCIDR} {.status.nodeInfo.containerRuntimeVersion}',
    ]);
    expect(out).toMatch(/^10\.244\.\d+\.0\/24 containerd:\/\/\S+$/);
  }, 90_000);

  it('runs a Deployment from the bundled image on the pod network, reachable through its Service', async () => {
    await k(['apply', '-f', '-'], DEPLOYMENT);
    await eventually(
      '2 replicas available',
      async () => {
        const out = await k(['get', 'deployment', 'web', '-o', 'jsonpath={.status.availableReplicas}']);
        return out === '2' ? out : undefined;
      },
      90_000,
    );
    const ips = (await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[*].status.podIP}'])).split(
      ' ',
    );
    expect(ips).toHaveLength(2);
    for (const ip of ips) expect(ip).toMatch(/^10\.244\.\d+\.\d+$/);
    const clusterIP = await k(['get', 'service', 'web', '-o', 'jsonpath={.spec.clusterIP}']);
    const pod = (
      await k(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])
    ).trim();
    // From one pod, through the ClusterIP (the proxy's rules), to either backend.
    const seen = new Set<string>();
    await eventually(
      'both backends answer through the ClusterIP',
      async () => {
        const out = await k([
          'exec',
          pod,
          '--',
          'sh',
          '-c',
          `timeout 5 wget -q -O - http://${clusterIP}/index.html`,
        ]);
        seen.add(out.trim());
        return seen.size === 2 ? true : undefined;
      },
      60_000,
    );
    for (const s of seen) expect(s).toMatch(/^hello from web-/);
    expect(await k(['logs', pod])).toContain('serving');
    // The kubelet-managed /etc/hosts names the pod's own IP and hostname.
    const podIP = (await k(['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}'])).trim();
    expect(await k(['exec', pod, '--', 'cat', '/etc/hosts'])).toContain(`${podIP}\t${pod}`);
  }, 180_000);

  it('records Events with the per-pod startup breakdown', async () => {
    const out = await k([
      'get',
      'events',
      '--field-selector',
      'reason=PodStarted',
      '-o',
      'jsonpath={.items[*].message}',
    ]);
    expect(out).toMatch(
      /Started in \d+ms \(scheduled \d+ms, sandbox \d+ms, pull \d+ms, create \d+ms, start \d+ms\)/,
    );
  });
});
