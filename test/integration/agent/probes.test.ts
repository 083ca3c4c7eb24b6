import type { Container, Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execProbe } from '../../../agent/probes/exec-probe.js';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import type { TestContainerd } from '../../support/containerd.js';
import { poller } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';
import { freePort } from '../../support/ports.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODE = 'probes-test-node';
const NODE_IP = '127.0.0.1';

let h: KubeletHarness | undefined;
let ctrd: TestContainerd;
let api: ApiClient;

const eventually = poller({ timeoutMs: 20_000 });

const getPod = (name: string) => api.get<Pod>(PODS, name, { namespace: 'default' });
const condition = (p: Pod, type: string): PodCondition | undefined =>
  p.status?.conditions?.find((c) => c.type === type);

/** A pod bound to the test node (no scheduler), on the host network. */
function pod(name: string, container: Omit<Container, 'name' | 'image'>, restartPolicy = 'Always'): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      hostNetwork: true,
      restartPolicy,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', ...container }],
    },
  };
}

/** Samples the pod until `until` holds, keeping every status seen on the way. */
async function watchPod(name: string, until: (p: Pod) => boolean, timeoutMs = 30_000): Promise<Pod[]> {
  const seen: Pod[] = [];
  await eventually(
    `${name}: condition`,
    async () => {
      const p = await getPod(name);
      seen.push(p);
      return until(p) ? true : undefined;
    },
    timeoutMs,
  );
  return seen;
}

const running = (p: Pod) => Boolean(p.status?.containerStatuses?.[0]?.state?.running);

beforeAll(async () => {
  h = await startKubeletHarness({ name: 'probes', nodeName: NODE, nodeIP: NODE_IP });
  ({ ctrd, api } = h);
}, 90_000);

afterAll(async () => {
  for (const name of ['exec-ready', 'liveness', 'startup', 'http'])
    await api?.delete(PODS, name, { namespace: 'default', gracePeriodSeconds: 0 }).catch(() => undefined);
  // Let the kubelet remove the sandboxes before it stops.
  await new Promise((r) => setTimeout(r, 1500));
  await h?.close();
}, 60_000);

describe('container probes in the kubelet', () => {
  it('turns a pod Ready when its exec readiness probe starts to pass', async () => {
    await api.create<Pod>(
      PODS,
      pod('exec-ready', {
        command: ['sh', '-c', 'sleep 3; touch /tmp/ready; sleep 1000'],
        readinessProbe: { exec: { command: ['test', '-f', '/tmp/ready'] }, periodSeconds: 1 },
      }),
    );
    const seen = await watchPod('exec-ready', (p) => condition(p, 'Ready')?.status === 'True');
    const before = seen.find((p) => running(p) && condition(p, 'Ready')?.status === 'False');
    expect(before, 'a Running but unready status before the file appeared').toBeDefined();
    expect(before?.status?.containerStatuses?.[0]).toMatchObject({ ready: false, started: true });
    expect(condition(before as Pod, 'Ready')?.reason).toBe('ContainersNotReady');
    const ready = seen.at(-1) as Pod;
    expect(ready.status?.containerStatuses?.[0]).toMatchObject({
      ready: true,
      started: true,
      restartCount: 0,
    });
    expect(condition(ready, 'ContainersReady')?.status).toBe('True');
    const started = Date.parse(ready.status?.containerStatuses?.[0]?.state?.running?.startedAt ?? '');
    const readyAt = Date.parse(condition(ready, 'Ready')?.lastTransitionTime ?? '');
    expect(readyAt - started).toBeGreaterThanOrEqual(2000);

    // The exec handler against containerd itself: output, exit codes and its timeout.
    const cri = new CriClient({ endpoint: ctrd.endpoint });
    try {
      const target = {
        pod: ready,
        podIP: NODE_IP,
        container: ready.spec?.containers[0] as Container,
        containerId: ready.status?.containerStatuses?.[0]?.containerID?.replace('containerd://', '') ?? '',
      };
      expect(await execProbe(cri, { command: ['sh', '-c', 'echo fine; exit 0'] }, target, 1000)).toEqual({
        result: 'success',
        output: 'fine\n',
      });
      expect(await execProbe(cri, { command: ['sh', '-c', 'echo bad >&2; exit 2'] }, target, 1000)).toEqual({
        result: 'failure',
        output: 'bad\n',
      });
      const t0 = Date.now();
      expect(await execProbe(cri, { command: ['sleep', '10'] }, target, 1000)).toEqual({
        result: 'failure',
        output: 'command "sleep 10" timed out',
      });
      expect(Date.now() - t0).toBeLessThan(5000);
    } finally {
      cri.close();
    }
  }, 40_000);

  it('restarts a container whose liveness probe fails', async () => {
    await api.create<Pod>(
      PODS,
      pod('liveness', {
        command: ['sleep', '1000'],
        livenessProbe: { exec: { command: ['sh', '-c', 'exit 1'] }, periodSeconds: 1, failureThreshold: 2 },
      }),
    );
    const seen = await watchPod(
      'liveness',
      (p) => (p.status?.containerStatuses?.[0]?.restartCount ?? 0) >= 1,
    );
    const cs = seen.at(-1)?.status?.containerStatuses?.[0];
    expect(cs?.lastState?.terminated?.exitCode).not.toBe(0);
    expect(cs?.lastState?.terminated?.containerID).not.toBe(cs?.containerID);
    // A liveness probe says nothing about readiness.
    expect(seen.some((p) => running(p) && p.status?.containerStatuses?.[0]?.ready === true)).toBe(true);
  }, 40_000);

  it('keeps a pod unstarted and unready until its startup probe passes', async () => {
    await api.create<Pod>(
      PODS,
      pod('startup', {
        command: ['sh', '-c', 'sleep 3; touch /tmp/started; sleep 1000'],
        startupProbe: {
          exec: { command: ['test', '-f', '/tmp/started'] },
          periodSeconds: 1,
          failureThreshold: 30,
        },
        // Would kill the container if it ran before startup succeeded.
        livenessProbe: {
          exec: { command: ['test', '-f', '/tmp/started'] },
          periodSeconds: 1,
          failureThreshold: 1,
        },
      }),
    );
    const seen = await watchPod('startup', (p) => condition(p, 'Ready')?.status === 'True');
    const before = seen.find(running);
    expect(before?.status?.containerStatuses?.[0]).toMatchObject({ started: false, ready: false });
    expect(seen.at(-1)?.status?.containerStatuses?.[0]).toMatchObject({
      started: true,
      ready: true,
      restartCount: 0,
    });
  }, 40_000);

  it('probes busybox httpd with httpGet on the pod IP and tcpSocket on a named port', async () => {
    const port = await freePort();
    await api.create<Pod>(
      PODS,
      pod('http', {
        command: [
          'sh',
          '-c',
          `mkdir -p /www && echo ok > /www/healthz && sleep 2 && exec httpd -f -p ${port} -h /www`,
        ],
        ports: [{ name: 'web', containerPort: port }],
        readinessProbe: { httpGet: { path: '/healthz', port: 'web' }, periodSeconds: 1 },
        livenessProbe: {
          tcpSocket: { port: 'web' },
          initialDelaySeconds: 4,
          periodSeconds: 1,
          failureThreshold: 1,
        },
      }),
    );
    const seen = await watchPod('http', (p) => condition(p, 'Ready')?.status === 'True');
    expect(seen.some((p) => running(p) && condition(p, 'Ready')?.status === 'False')).toBe(true);
    expect(seen.at(-1)?.status?.podIP).toBe(NODE_IP);
    // The tcpSocket liveness probe passes too: no restart after several runs.
    await new Promise((r) => setTimeout(r, 4000));
    const after = await getPod('http');
    expect(after.status?.containerStatuses?.[0]).toMatchObject({ restartCount: 0, ready: true });
    // A response of the server on the same URL, as the probe saw it.
    const res = await fetch(`http://${NODE_IP}:${port}/healthz`);
    expect(res.status).toBe(200);
  }, 40_000);
});
