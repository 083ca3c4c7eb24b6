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
});
