import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlResult, kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

let server: TestServer;
let kubectl: (args: string[], stdin?: string, timeoutMs?: number) => Promise<KubectlResult>;

beforeAll(async () => {
  server = await startSkiffServer([], { components: true });
  kubectl = kubectlFor(server.kubeconfig);
});
afterAll(async () => {
  await server?.stop();
});

async function until<T>(fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('skiff server runs the control-plane components in-process', () => {
  it('schedules a pod onto a node that fits', async () => {
    const node = await server.fetch('POST', '/api/v1/nodes', {
      metadata: { name: 'worker-1', labels: { 'kubernetes.io/hostname': 'worker-1' } },
      status: {
        capacity: { cpu: '2', memory: '4Gi', pods: '110' },
        allocatable: { cpu: '2', memory: '4Gi', pods: '110' },
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady', message: 'stand-in' }],
      },
    });
    expect(node.status).toBe(201);
    expect((await kubectl(['run', 'placed', '--image=busybox', '--restart=Never'])).code).toBe(0);
    const nodeName = await until(async () => {
      const pod = (await server.fetch('GET', '/api/v1/namespaces/default/pods/placed')).json();
      return pod.spec.nodeName as string | undefined;
    });
    expect(nodeName).toBe('worker-1');
    const wide = await kubectl(['get', 'pod', 'placed', '-o', 'wide']);
    expect(wide.stdout).toMatch(/placed\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+worker-1/);
    const events = await kubectl(['get', 'events', '--field-selector', 'involvedObject.name=placed']);
    expect(events.stdout).toContain('Successfully assigned default/placed to worker-1');
  });

  it('turns a Deployment into a ReplicaSet and scheduled pods', async () => {
    expect((await kubectl(['create', 'deployment', 'web', '--image=busybox', '--replicas=3'])).code).toBe(0);
    const pods = await until(async () => {
      const list = (
        await server.fetch('GET', '/api/v1/namespaces/default/pods?labelSelector=app%3Dweb')
      ).json();
      const bound = list.items.filter((p: { spec: { nodeName?: string } }) => p.spec.nodeName === 'worker-1');
      return bound.length === 3 ? bound : undefined;
    });
    expect(pods[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'ReplicaSet', controller: true });
    const rs = await kubectl(['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[0].spec.replicas}']);
    expect(rs.stdout).toBe('3');
  });

  it('gives namespaces a default ServiceAccount and deletes them with their content', async () => {
    expect((await kubectl(['create', 'namespace', 'doomed'])).code).toBe(0);
    await until(async () =>
      (await server.fetch('GET', '/api/v1/namespaces/doomed/serviceaccounts/default')).status === 200
        ? true
        : undefined,
    );
    expect((await kubectl(['create', 'configmap', 'inside', '-n', 'doomed'])).code).toBe(0);
    const deleted = await kubectl(['delete', 'namespace', 'doomed', '--timeout=60s'], undefined, 70_000);
    expect(deleted.code).toBe(0);
    expect((await server.fetch('GET', '/api/v1/namespaces/doomed')).status).toBe(404);
  });
});
