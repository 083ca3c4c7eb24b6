import type { Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { computePodStatus, type ObservedContainer, shouldRestart } from '../../../agent/pod-status.js';
import type { ContainerStatus } from '../../../shim/index.js';

const NS = (ms: number) => String(BigInt(ms) * 1_000_000n);
const T0 = Date.parse('2026-01-02T03:04:05Z');

function cri(state: ContainerStatus['state'], exitCode = 0, attempt = 0): ContainerStatus {
  return {
    id: 'abc',
    metadata: { name: 'c', attempt },
    state,
    createdAt: NS(T0),
    startedAt: NS(T0 + 1000),
    finishedAt: state === 'CONTAINER_EXITED' ? NS(T0 + 2000) : '0',
    exitCode,
    image: { image: 'busybox' },
    imageRef: 'sha256:1234',
    reason: '',
    message: '',
    labels: {},
    annotations: {},
    mounts: [],
    logPath: '',
    resources: null,
    imageId: '',
    user: null,
    imageSource: '',
  } as ContainerStatus;
}

const pod = (restartPolicy: string, status?: Pod['status']): Pod => ({
  metadata: { name: 'p', namespace: 'default', uid: 'u' },
  spec: { restartPolicy, containers: [{ name: 'c', image: 'busybox' }] },
  status,
});

const observed = (s?: ContainerStatus, waiting?: ObservedContainer['waiting']): ObservedContainer[] => [
  { spec: { name: 'c', image: 'busybox' }, cri: s, waiting, runtimeName: 'containerd' },
];

const compute = (p: Pod, c: ObservedContainer[], nowMs = T0 + 5000) =>
  computePodStatus({
    pod: p,
    sandboxReady: true,
    containers: c,
    hostIP: '10.0.0.1',
    podIP: '10.0.0.1',
    nowMs,
  });

describe('computePodStatus', () => {
  it('is Pending with ContainerCreating before the container exists', () => {
    const s = compute(pod('Always'), observed());
    expect(s.phase).toBe('Pending');
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).toBe('ContainerCreating');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });

  it('is Running and Ready with a running container, with its ID, image ID and start time', () => {
    const s = compute(pod('Always'), observed(cri('CONTAINER_RUNNING')));
    expect(s.phase).toBe('Running');
    expect(s.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(s.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
    const cs = s.containerStatuses?.[0];
    expect(cs).toMatchObject({
      ready: true,
      started: true,
      containerID: 'containerd://abc',
      imageID: 'sha256:1234',
    });
    expect(cs?.state?.running?.startedAt).toBe('2026-01-02T03:04:06Z');
    expect(s.podIP).toBe('10.0.0.1');
  });

  it('is Succeeded when a Never pod exits 0, Failed when it exits non-zero', () => {
    const ok = compute(pod('Never'), observed(cri('CONTAINER_EXITED', 0)));
    expect(ok.phase).toBe('Succeeded');
    expect(ok.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 0, reason: 'Completed' });
    expect(ok.conditions?.find((c) => c.type === 'Ready')?.reason).toBe('PodCompleted');
    const bad = compute(pod('Never'), observed(cri('CONTAINER_EXITED', 2)));
    expect(bad.phase).toBe('Failed');
    expect(bad.containerStatuses?.[0]?.state?.terminated).toMatchObject({ exitCode: 2, reason: 'Error' });
  });

  it('shows a restarting container as waiting with its last termination', () => {
    const s = compute(
      pod('Always'),
      observed(cri('CONTAINER_EXITED', 1, 2), { reason: 'CrashLoopBackOff', message: 'back-off 20s' }),
    );
    expect(s.phase).toBe('Running');
    const cs = s.containerStatuses?.[0];
    expect(cs?.restartCount).toBe(2);
    expect(cs?.state?.waiting).toEqual({ reason: 'CrashLoopBackOff', message: 'back-off 20s' });
    expect(cs?.lastState?.terminated?.exitCode).toBe(1);
  });

  it('keeps lastTransitionTime and startTime when nothing changed, so equal input gives equal output', () => {
    const first = compute(pod('Always'), observed(cri('CONTAINER_RUNNING')), T0 + 5000);
    const again = compute(pod('Always', first), observed(cri('CONTAINER_RUNNING')), T0 + 60_000);
    expect(JSON.stringify(again)).toBe(JSON.stringify(first));
  });
});

describe('computePodStatus with init containers', () => {
  const init = (s?: ContainerStatus, waiting?: ObservedContainer['waiting']): ObservedContainer[] => [
    { spec: { name: 'init', image: 'busybox' }, cri: s, waiting, runtimeName: 'containerd' },
  ];
  const withInit = (p: Pod, i: ObservedContainer[], c: ObservedContainer[]) =>
    computePodStatus({
      pod: p,
      sandboxReady: true,
      initContainers: i,
      containers: c,
      hostIP: 'h',
      podIP: 'h',
      nowMs: T0,
    });

  it('is Pending and not Initialized while an init container runs', () => {
    const s = withInit(
      pod('Always'),
      init(cri('CONTAINER_RUNNING')),
      observed(undefined, { reason: 'PodInitializing' }),
    );
    expect(s.phase).toBe('Pending');
    expect(s.conditions?.find((c) => c.type === 'Initialized')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotInitialized',
      message: 'containers with incomplete status: [init]',
    });
    expect(s.containerStatuses?.[0]?.state?.waiting?.reason).toBe('PodInitializing');
  });

  it('restarts a failed init container under Always, and fails the pod under Never', () => {
    const always = withInit(pod('Always'), init(cri('CONTAINER_EXITED', 1)), observed());
    expect(always.phase).toBe('Pending');
    expect(always.initContainerStatuses?.[0]?.state?.waiting?.reason).toBe('CrashLoopBackOff');
    const never = withInit(pod('Never'), init(cri('CONTAINER_EXITED', 1)), observed());
    expect(never.phase).toBe('Failed');
  });

  it('is Initialized once every init container exited 0', () => {
    const s = withInit(pod('Always'), init(cri('CONTAINER_EXITED', 0)), observed(cri('CONTAINER_RUNNING')));
    expect(s.phase).toBe('Running');
    expect(s.conditions?.find((c) => c.type === 'Initialized')?.status).toBe('True');
  });
});

describe('shouldRestart', () => {
  it('follows the restart policy', () => {
    expect(shouldRestart('Always', 0)).toBe(true);
    expect(shouldRestart(undefined, 0)).toBe(true);
    expect(shouldRestart('OnFailure', 0)).toBe(false);
    expect(shouldRestart('OnFailure', 1)).toBe(true);
    expect(shouldRestart('Never', 1)).toBe(false);
  });
});
