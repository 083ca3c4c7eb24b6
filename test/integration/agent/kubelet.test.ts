import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Event as CoreEvent, Node, Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import type { TestContainerd } from '../../support/containerd.js';
import { poller } from '../../support/eventually.js';
import { kubectlFor } from '../../support/kubectl.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODES: ResourceRef = { group: '', version: 'v1', plural: 'nodes', namespaced: false };
const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };
const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};
const NODE = 'kubelet-test-node';
const NODE_IP = '127.0.0.1';

let h: KubeletHarness;
let ctrd: TestContainerd;
let api: ApiClient;
let cri: CriClient;
let kubectl: ReturnType<typeof kubectlFor>;

function sleeper(name: string, extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      hostNetwork: true,
      terminationGracePeriodSeconds: 1,
      containers: [{ name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '1000'] }],
      ...extra,
    },
  };
}

async function runningPod(name: string): Promise<Pod> {
  return eventually(
    `${name} Running`,
    async () => {
      const p = await getPod(name);
      return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
    },
    30_000,
  );
}

const sandboxesOf = (uid: string) =>
  cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });

const eventually = poller({ timeoutMs: 20_000 });

const getPod = (name: string) => api.get<Pod>(PODS, name, { namespace: 'default' });

beforeAll(async () => {
  h = await startKubeletHarness({
    name: 'kubelet',
    nodeName: NODE,
    nodeIP: NODE_IP,
    server: { components: true },
    kubelet: () => ({ nodeStatusCheckMs: 500 }),
  });
  ({ ctrd, api, cri } = h);
  kubectl = kubectlFor(h.server.kubeconfig);
}, 90_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

describe('kubelet against a real API server and containerd', () => {
  it('registers the Node, Ready, with host facts and a Lease', async () => {
    const node = await eventually('node Ready', async () => {
      const n = await api.get<Node>(NODES, NODE);
      return n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True' ? n : undefined;
    });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    expect(ready?.reason).toBe('KubeletReady');
    for (const type of ['MemoryPressure', 'DiskPressure', 'PIDPressure'])
      expect(node.status?.conditions?.find((c) => c.type === type)?.status).toBe('False');
    expect(node.metadata?.labels?.['kubernetes.io/hostname']).toBe(NODE);
    expect(node.metadata?.labels?.['kubernetes.io/os']).toBe('linux');
    expect(node.status?.capacity?.pods).toBe('110');
    expect(Number(node.status?.capacity?.cpu)).toBeGreaterThan(0);
    expect(node.status?.addresses).toContainEqual({ type: 'InternalIP', address: NODE_IP });
    expect(node.status?.nodeInfo?.containerRuntimeVersion).toMatch(/^containerd:\/\/\S+/);
    expect(node.status?.nodeInfo?.kubeletVersion).toBe('v1.32.4-skiff');
    expect(node.status?.daemonEndpoints?.kubeletEndpoint?.Port).toBe(10250);

    const lease = await eventually('lease', () =>
      api.get<Lease>(LEASES, NODE, { namespace: 'kube-node-lease' }).catch(() => undefined),
    );
    expect(lease.spec?.holderIdentity).toBe(NODE);
    expect(lease.spec?.leaseDurationSeconds).toBe(40);
    expect(lease.spec?.renewTime).toMatch(/\.\d{6}Z$/);
  }, 30_000);

  it('runs a scheduled pod to Running and Ready, then deletes it gracefully', async () => {
    await api.create<Pod>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hello', namespace: 'default' },
      spec: {
        hostNetwork: true,
        terminationGracePeriodSeconds: 1,
        containers: [
          {
            name: 'c',
            image: BUSYBOX_IMAGE,
            imagePullPolicy: 'IfNotPresent',
            command: ['sh', '-c', 'echo hi; sleep 1000'],
          },
        ],
      },
    });
    const pod = await eventually(
      'pod Running and Ready',
      async () => {
        const p = await getPod('hello');
        const ready = p.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
        return p.status?.phase === 'Running' && ready ? p : undefined;
      },
      30_000,
    );
    expect(pod.spec?.nodeName).toBe(NODE);
    expect(pod.status?.podIP).toBe(NODE_IP);
    expect(pod.status?.hostIP).toBe(NODE_IP);
    expect(pod.status?.startTime).toBeTruthy();
    const cs = pod.status?.containerStatuses?.[0];
    expect(cs?.name).toBe('c');
    expect(cs?.ready).toBe(true);
    expect(cs?.state?.running?.startedAt).toBeTruthy();
    expect(cs?.containerID).toMatch(/^containerd:\/\/[0-9a-f]{64}$/);
    const containerId = cs?.containerID?.slice('containerd://'.length) ?? '';
    expect((await cri.runtime.containerStatus(containerId)).status?.state).toBe('CONTAINER_RUNNING');

    const del = await kubectl(['delete', 'pod', 'hello', '--wait=true', '--timeout=30s'], undefined, 40_000);
    expect(del.stderr).toBe('');
    expect(del.code).toBe(0);
    await expect(getPod('hello')).rejects.toMatchObject({ code: 404 });
    const uid = pod.metadata?.uid ?? '';
    await eventually('sandbox removed', async () => {
      const left = await cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } });
      return left.length === 0 ? true : undefined;
    });
    expect(await cri.runtime.listContainers({ id: containerId })).toEqual([]);
  }, 60_000);

  it('runs an init container, then the app container of a restartPolicy Never pod to Succeeded', async () => {
    await api.create<Pod>(PODS, {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'once', namespace: 'default' },
      spec: {
        hostNetwork: true,
        restartPolicy: 'Never',
        initContainers: [
          { name: 'init', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 0'] },
        ],
        containers: [
          { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 0'] },
        ],
      },
    });
    const pod = await eventually(
      'pod Succeeded',
      async () => {
        const p = await getPod('once');
        return p.status?.phase === 'Succeeded' ? p : undefined;
      },
      30_000,
    );
    const term = pod.status?.containerStatuses?.[0]?.state?.terminated;
    expect(term?.exitCode).toBe(0);
    expect(term?.reason).toBe('Completed');
    expect(pod.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    expect(pod.status?.initContainerStatuses?.[0]?.state?.terminated).toMatchObject({
      exitCode: 0,
      reason: 'Completed',
    });
    expect(pod.status?.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
    const init = Date.parse(pod.status?.initContainerStatuses?.[0]?.state?.terminated?.finishedAt ?? '');
    expect(Date.parse(term?.startedAt ?? '')).toBeGreaterThanOrEqual(init);
  }, 40_000);

  it('restarts a failing container with back-off, and removes a force-deleted pod from the runtime', async () => {
    await api.create<Pod>(
      PODS,
      sleeper('crash', {
        restartPolicy: 'OnFailure',
        containers: [
          { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sh', '-c', 'exit 3'] },
        ],
      }),
    );
    const pod = await eventually(
      'crash in CrashLoopBackOff',
      async () => {
        const p = await getPod('crash');
        const cs = p.status?.containerStatuses?.[0];
        return cs && cs.restartCount >= 1 && cs.state?.waiting?.reason === 'CrashLoopBackOff' ? p : undefined;
      },
      30_000,
    );
    const cs = pod.status?.containerStatuses?.[0];
    expect(cs?.lastState?.terminated?.exitCode).toBe(3);
    expect(cs?.state?.waiting?.message).toMatch(
      /^back-off 10s restarting failed container=c pod=crash_default/,
    );
    expect(pod.status?.phase).toBe('Running');
    expect(pod.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');

    // Gone from the API at once: the kubelet finds the sandbox orphaned and removes it.
    const uid = pod.metadata?.uid ?? '';
    await api.delete(PODS, 'crash', { namespace: 'default', gracePeriodSeconds: 0 });
    await eventually('crash sandbox removed', async () =>
      (await sandboxesOf(uid)).length === 0 ? true : undefined,
    );
  }, 60_000);

  it('adopts running pods after a restart and removes sandboxes of pods deleted meanwhile', async () => {
    await api.create<Pod>(PODS, sleeper('keep'));
    await api.create<Pod>(PODS, sleeper('drop'));
    const keep = await runningPod('keep');
    const drop = await runningPod('drop');
    const keepId = keep.status?.containerStatuses?.[0]?.containerID;
    const keepUid = keep.metadata?.uid ?? '';
    const dropUid = drop.metadata?.uid ?? '';

    await h.stopKubelet();
    await api.delete(PODS, 'drop', { namespace: 'default', gracePeriodSeconds: 0 });
    expect((await sandboxesOf(dropUid)).length).toBe(1);
    h.startKubelet();

    await eventually('orphan removed', async () =>
      (await sandboxesOf(dropUid)).length === 0 ? true : undefined,
    );
    // Give the new kubelet a few sync rounds in which it could (wrongly) restart `keep`.
    await new Promise((r) => setTimeout(r, 2500));
    const after = await getPod('keep');
    expect(after.status?.containerStatuses?.[0]?.containerID).toBe(keepId);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const keepSandboxes = await sandboxesOf(keepUid);
    expect(keepSandboxes.map((s) => s.state)).toEqual(['SANDBOX_READY']);
    const running = await cri.runtime.listContainers({ podSandboxId: keepSandboxes[0]?.id ?? '' });
    expect(running.map((c) => `containerd://${c.id}`)).toEqual([keepId]);
  }, 60_000);

  it('reports images that cannot be had as waiting reasons with the message', async () => {
    const image = (name: string, img: string, policy: 'Never' | 'IfNotPresent') =>
      sleeper(name, { containers: [{ name: 'c', image: img, imagePullPolicy: policy, command: ['true'] }] });
    await api.create<Pod>(PODS, image('never', 'docker.io/skiff/absent:none', 'Never'));
    // Nothing listens on port 1: the pull fails at once.
    await api.create<Pod>(PODS, image('unpullable', '127.0.0.1:1/skiff/absent:none', 'IfNotPresent'));
    const waiting = (name: string, reasons: string[]) =>
      eventually(`${name} waiting with ${reasons}`, async () => {
        const w = (await getPod(name)).status?.containerStatuses?.[0]?.state?.waiting;
        return w?.reason && reasons.includes(w.reason) ? w : undefined;
      });
    const never = await waiting('never', ['ErrImageNeverPull']);
    expect(never.message).toContain('docker.io/skiff/absent:none');
    const pull = await waiting('unpullable', ['ErrImagePull', 'ImagePullBackOff']);
    expect(pull.message).toContain('127.0.0.1:1');
    expect((await getPod('unpullable')).status?.phase).toBe('Pending');
    for (const name of ['never', 'unpullable'])
      await api.delete(PODS, name, { namespace: 'default', gracePeriodSeconds: 0 });
  }, 40_000);

  it('reports a command that does not exist with the runtime message, and records Events', async () => {
    await api.create<Pod>(
      PODS,
      sleeper('nocmd', {
        containers: [
          { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['/no/such/binary'] },
        ],
      }),
    );
    const w = await eventually('nocmd waiting', async () => {
      const cs = (await getPod('nocmd')).status?.containerStatuses?.[0];
      const reason = cs?.state?.waiting?.reason ?? cs?.lastState?.terminated?.reason;
      return reason && reason !== 'ContainerCreating' ? cs : undefined;
    });
    const text = JSON.stringify(w);
    expect(text).toMatch(/RunContainerError|CreateContainerError|CrashLoopBackOff|StartError/);
    expect(text).toContain('/no/such/binary');
    const events = await eventually('Failed event', async () => {
      const list = await api.list<CoreEvent>(EVENTS, {
        namespace: 'default',
        fieldSelector: 'involvedObject.name=nocmd',
      });
      return list.items.some((e) => e.reason === 'Failed') ? list.items : undefined;
    });
    expect(events.find((e) => e.reason === 'Failed')?.source?.component).toBe('kubelet');
    expect(events.find((e) => e.reason === 'Failed')?.involvedObject?.fieldPath).toBe('spec.containers{c}');
    await api.delete(PODS, 'nocmd', { namespace: 'default', gracePeriodSeconds: 0 });
  }, 40_000);

  it('records Pulled, Created, Started and the startup breakdown for a pod that runs', async () => {
    await api.create<Pod>(PODS, sleeper('evented'));
    await runningPod('evented');
    const reasons = await eventually('events', async () => {
      const list = await api.list<CoreEvent>(EVENTS, {
        namespace: 'default',
        fieldSelector: 'involvedObject.name=evented',
      });
      const rs = list.items.map((e) => e.reason ?? '');
      return rs.includes('PodStarted') ? list.items : undefined;
    });
    expect(reasons.map((e) => e.reason)).toEqual(
      expect.arrayContaining(['Pulled', 'Created', 'Started', 'PodStarted']),
    );
    expect(reasons.find((e) => e.reason === 'PodStarted')?.message).toMatch(
      /^Started in \d+ms \((scheduled \d+ms, )?sandbox \d+ms, pull \d+ms, create \d+ms, start \d+ms\)$/,
    );
    await api.delete(PODS, 'evented', { namespace: 'default', gracePeriodSeconds: 0 });
  }, 40_000);

  it('reports the node NotReady while containerd is down and Ready again when it is back', async () => {
    const readyStatus = async (want: string) =>
      eventually(`node Ready=${want}`, async () => {
        const c = (await api.get<Node>(NODES, NODE)).status?.conditions?.find((x) => x.type === 'Ready');
        return c?.status === want ? c : undefined;
      });
    await ctrd.terminate();
    try {
      const down = await readyStatus('False');
      expect(down.reason).toBe('KubeletNotReady');
      expect(down.message).toMatch(/^container runtime is down/);
    } finally {
      await ctrd.start();
    }
    expect((await readyStatus('True')).reason).toBe('KubeletReady');
    // The pod from before the outage keeps its sandbox and its one container.
    await new Promise((r) => setTimeout(r, 2000));
    const keep = await runningPod('keep');
    expect(keep.status?.containerStatuses?.[0]?.restartCount).toBe(0);
    const sandboxes = await sandboxesOf(keep.metadata?.uid ?? '');
    expect(sandboxes.map((x) => x.state)).toEqual(['SANDBOX_READY']);
    const containers = await cri.runtime.listContainers({ podSandboxId: sandboxes[0]?.id ?? '' });
    expect(containers.map((c) => [`containerd://${c.id}`, c.state])).toEqual([
      [keep.status?.containerStatuses?.[0]?.containerID, 'CONTAINER_RUNNING'],
    ]);
  }, 60_000);
});
