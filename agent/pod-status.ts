import type {
  Container as ContainerSpec,
  ContainerState,
  ContainerStatus,
  Pod,
  PodCondition,
  PodStatus,
} from 'kubernetes-types/core/v1.js';
import { podQosClass } from '../api/pod-qos.js';
import { rfc3339 } from '../client/micro-time.js';
import type { ContainerStatus as CriContainerStatus } from '../shim/index.js';
import type { ProbeState } from './probes/probe-host.js';

/** What the worker observed of one app container in this sync. */
export interface ObservedContainer {
  spec: ContainerSpec;
  /** The latest attempt's CRI status, if any attempt exists. */
  cri?: CriContainerStatus;
  /** Why the container is not running (ErrImagePull, CrashLoopBackOff...), when known. */
  waiting?: { reason: string; message?: string };
  /** The runtime's name for containerIDs (`containerd://<id>`). */
  runtimeName: string;
  /**
   * Probe results of the running attempt. Without a startup probe a running container is
   * started; without a readiness probe it is ready once started.
   */
  probe?: ProbeState;
}

/** CRI timestamps are nanoseconds since the epoch, as decimal strings. */
export function criTime(ns: string | undefined): string | undefined {
  if (!ns || ns === '0') return undefined;
  return rfc3339(Number(BigInt(ns) / 1_000_000n));
}

/** Whether a container that exited with `exitCode` is started again under `restartPolicy`. */
/** Init containers run until they succeed: Always counts as OnFailure for them. */
export function initRestartPolicy(podPolicy: string | undefined): 'Never' | 'OnFailure' {
  return podPolicy === 'Never' ? 'Never' : 'OnFailure';
}

export function shouldRestart(restartPolicy: string | undefined, exitCode: number): boolean {
  if (restartPolicy === 'Never') return false;
  if (restartPolicy === 'OnFailure') return exitCode !== 0;
  return true;
}

function terminatedState(s: CriContainerStatus, runtimeName: string): ContainerState {
  return {
    terminated: {
      exitCode: s.exitCode,
      reason: s.reason || (s.exitCode === 0 ? 'Completed' : 'Error'),
      message: s.message || undefined,
      startedAt: criTime(s.startedAt),
      finishedAt: criTime(s.finishedAt),
      containerID: `${runtimeName}://${s.id}`,
    },
  };
}

export function containerStatus(o: ObservedContainer, restartPolicy: string | undefined): ContainerStatus {
  const s = o.cri;
  const base: ContainerStatus = {
    name: o.spec.name,
    image: o.spec.image ?? '',
    imageID: s?.imageRef ?? '',
    ready: false,
    started: false,
    restartCount: s?.metadata?.attempt ?? 0,
    state: { waiting: { reason: o.waiting?.reason ?? 'ContainerCreating', message: o.waiting?.message } },
  };
  if (!s) return base;
  base.containerID = `${o.runtimeName}://${s.id}`;
  if (s.state === 'CONTAINER_RUNNING') {
    // A probe without a result yet (e.g. before the prober saw the attempt) counts as not passed.
    const started = o.spec.startupProbe ? o.probe?.started === true : true;
    const ready = started && (o.spec.readinessProbe ? o.probe?.ready === true : true);
    return { ...base, ready, started, state: { running: { startedAt: criTime(s.startedAt) } } };
  }
  if (s.state === 'CONTAINER_EXITED') {
    const term = terminatedState(s, o.runtimeName);
    if (shouldRestart(restartPolicy, s.exitCode))
      return {
        ...base,
        state: { waiting: { reason: o.waiting?.reason ?? 'CrashLoopBackOff', message: o.waiting?.message } },
        lastState: term,
      };
    return { ...base, state: term };
  }
  return base;
}

function condition(
  type: string,
  ok: boolean,
  previous: PodCondition[] | undefined,
  nowIso: string,
  why?: { reason: string; message?: string },
): PodCondition {
  const status = ok ? 'True' : 'False';
  const prev = previous?.find((c) => c.type === type);
  return {
    type,
    status,
    ...(ok || !why ? {} : { reason: why.reason, message: why.message }),
    lastTransitionTime: prev?.status === status && prev.lastTransitionTime ? prev.lastTransitionTime : nowIso,
  };
}

/**
 * The pod's status from what the worker observed: phase, conditions, container statuses,
 * IPs and start time. Times of unchanged conditions are kept, so equal input gives equal output.
 */
export function computePodStatus(o: {
  pod: Pod;
  sandboxReady: boolean;
  initContainers?: ObservedContainer[];
  containers: ObservedContainer[];
  hostIP: string;
  podIP: string;
  nowMs: number;
}): PodStatus {
  const { pod } = o;
  const now = rfc3339(o.nowMs);
  const policy = pod.spec?.restartPolicy ?? 'Always';
  const inits = (o.initContainers ?? []).map((c) => containerStatus(c, initRestartPolicy(policy)));
  const initialized = inits.every((s) => s.state?.terminated?.exitCode === 0);
  const initFailed = inits.some((s) => (s.state?.terminated?.exitCode ?? 0) !== 0);
  const statuses = o.containers.map((c) => containerStatus(c, policy));
  const allReady = statuses.length > 0 && statuses.every((s) => s.state?.running && s.ready);
  const allDone = statuses.length > 0 && statuses.every((s) => s.state?.terminated);
  let phase: string;
  if (initFailed) phase = 'Failed';
  else if (!initialized) phase = 'Pending';
  else if (allDone)
    phase = statuses.every((s) => s.state?.terminated?.exitCode === 0) ? 'Succeeded' : 'Failed';
  else if (statuses.some((s, i) => s.state?.running || s.lastState?.terminated || o.containers[i]?.cri))
    phase = 'Running';
  else phase = 'Pending';
  const unready = statuses.filter((s) => !s.ready).map((s) => s.name);
  const notReady = allDone
    ? { reason: 'PodCompleted' }
    : { reason: 'ContainersNotReady', message: `containers with unready status: [${unready.join(' ')}]` };
  const incomplete = inits.filter((s) => s.state?.terminated?.exitCode !== 0).map((s) => s.name);
  const notInitialized = {
    reason: 'ContainersNotInitialized',
    message: `containers with incomplete status: [${incomplete.join(' ')}]`,
  };
  const prev = pod.status?.conditions;
  const conditions = [
    condition('PodReadyToStartContainers', o.sandboxReady, prev, now),
    condition('Initialized', initialized, prev, now, notInitialized),
    condition('Ready', allReady, prev, now, notReady),
    condition('ContainersReady', allReady, prev, now, notReady),
    condition('PodScheduled', true, prev, now),
  ];
  return {
    phase,
    conditions,
    hostIP: o.hostIP,
    hostIPs: [{ ip: o.hostIP }],
    podIP: o.podIP,
    podIPs: [{ ip: o.podIP }],
    startTime: pod.status?.startTime ?? now,
    qosClass: pod.status?.qosClass ?? podQosClass(pod.spec),
    ...(inits.length > 0 ? { initContainerStatuses: inits } : {}),
    containerStatuses: statuses,
  };
}
