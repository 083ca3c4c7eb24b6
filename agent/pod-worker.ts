import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container as ContainerSpec, Pod, PodStatus, Secret } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../api/errors.js';
import type { EventRecorder } from '../client/event-recorder.js';
import type { ApiClient } from '../client/rest-client.js';
import {
  type CriClient,
  type Container as CriContainer,
  type ContainerStatus as CriContainerStatus,
  CriError,
  isCriNotFound,
  type PodSandboxConfig,
} from '../shim/index.js';
import type { CgroupLayout } from './cgroup-layout.js';
import { buildContainerConfig, type ImageUser } from './container-config.js';
import type { ContainerInputs } from './container-inputs.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from './labels.js';
import type { PodDnsSettings } from './pod-dns.js';
import { PodStartup } from './pod-startup.js';
import { computePodStatus, initRestartPolicy, type ObservedContainer, shouldRestart } from './pod-status.js';
import type { ProbeHost, RunningContainer } from './probes/probe-host.js';
import { pullCredentials } from './pull-credentials.js';
import { PODS, SECRETS } from './resources.js';
import { buildSandboxConfig, HOST_NAMESPACES, podLogDirectory } from './sandbox-config.js';
import type { Semaphore } from './semaphore.js';
import { readTerminationMessage } from './volumes/termination-message.js';
import { WaitingError } from './waiting-error.js';

const BACKOFF_INITIAL_MS = 10_000;
const BACKOFF_MAX_MS = 300_000;
/** A container that ran this long before exiting starts its back-off afresh. */
const BACKOFF_RESET_MS = 600_000;

export interface PodWorkerDeps {
  api: ApiClient;
  cri: CriClient;
  log: Logger;
  nodeIP: string;
  /** `containerd` in containerIDs. */
  runtimeName: string;
  /** Where pod cgroups go (per `--cgroup-driver`). */
  cgroups: CgroupLayout;
  /** Container logs go under `<podLogsDir>/<ns>_<name>_<uid>/`. */
  podLogsDir: string;
  now: () => number;
  /** Env and volume mounts of containers. */
  inputs: ContainerInputs;
  probes: ProbeHost;
  /** Cluster DNS settings of the sandboxes; without, the runtime copies the host's resolv.conf. */
  dns?: PodDnsSettings;
  /** Pod networking: pods not on the host network get no sandbox while it is not ready. */
  network?: PodNetworkGate;
  /** Pulling/Pulled/Created/Started/Killing/BackOff/Failed and the startup breakdown. */
  events?: EventRecorder;
  /**
   * Bounds how many sandboxes start at once on the node: a burst of RunPodSandbox calls makes
   * the runtime slower for all of them (and past their deadlines) rather than faster.
   */
  sandboxStarts?: Semaphore;
  /** Bounds parallel image pulls, so one large image does not hold up every other pod. */
  pulls?: Semaphore;
}

/** Whether pods on the pod network can get a sandbox (agent/cni PodNetwork). */
export interface PodNetworkGate {
  /** Undefined when ready, else why not. */
  notReadyMessage(): string | undefined;
}

function defaultPullPolicy(image: string): 'Always' | 'IfNotPresent' {
  const last = image.slice(image.lastIndexOf('/') + 1);
  if (last.includes('@')) return 'IfNotPresent';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : 'latest';
  return tag === 'latest' ? 'Always' : 'IfNotPresent';
}

const attemptOf = (c: CriContainer) => c.metadata?.attempt ?? 0;

/** podIP/podIPs from the runtime's answer (absent while the pod has none). */
function withPodIPs(status: PodStatus, ips: string[]): PodStatus {
  const { podIP: _ip, podIPs: _ips, ...rest } = status;
  return ips.length > 0 ? { ...rest, podIP: ips[0], podIPs: ips.map((ip) => ({ ip })) } : rest;
}

/**
 * Drives one pod (by uid) towards its spec on the runtime: sandbox, then app containers in
 * order with restarts and back-off, status through pods/status; on deletion (or when the pod
 * is gone from the API) stops and removes everything. `kick()` runs syncs one at a time.
 */
export class PodWorker {
  /** Latest state from the API; undefined once the pod is gone from it. */
  pod: Pod | undefined;
  /** True once the pod's runtime state is removed and the API object is gone. */
  finished = false;
  /**
   * The last sync left the pod where only a runtime change, a new pod spec or a probe result
   * moves it (running with every container up, or terminal and stopped): the relist need not
   * sync it every second.
   */
  steady = false;
  /** When the last sync was asked for (Date.now()). */
  lastKickAt = 0;
  /** The runtime-state fingerprint the pod manager saw when it last asked for a sync. */
  seenRuntimeState = '';
  private running: Promise<void> | undefined;
  private again = false;
  /** Per container name: the delay before the next restart. */
  private readonly backoff = new Map<string, number>();
  /** Per image: the last failed pull, so pulls are retried with back-off (ImagePullBackOff). */
  /** Per container name: the last reason it could not start, so repeats are not logged as warnings. */
  private readonly lastWaiting = new Map<string, string>();
  private readonly pullFailures = new Map<string, { at: number; delayMs: number; message: string }>();
  private lastStatus: string | undefined;
  private sandboxIPs: { id: string; ips: string[] } | undefined;
  private networkWait: string | undefined;
  private deleteConfirmed = false;
  private terminal = false;
  private readonly log: Logger;
  private currentPodIPs: string[] = [];
  private readonly startup = new PodStartup();
  /** Containers whose "already present" Pulled event was sent. */
  private readonly presentReported = new Set<string>();
  /** Termination messages of exited attempts, by container id (read once). */
  private readonly termMessages = new Map<string, string>();

  constructor(
    private readonly d: PodWorkerDeps,
    readonly uid: string,
    pod: Pod | undefined,
    /** Static pods: their status goes to the mirror pod instead of pods/status of `pod`. */
    private readonly statusWriter?: (pod: Pod, status: PodStatus) => Promise<boolean>,
  ) {
    this.pod = pod;
    this.log = d.log.child({
      pod: pod ? `${pod.metadata?.namespace}/${pod.metadata?.name}` : undefined,
      uid,
    });
  }

  /** Resolves when no sync is in flight. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Runs a sync now, or once more after the one in flight. Never rejects. */
  kick(): Promise<void> {
    this.lastKickAt = Date.now();
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      do {
        this.again = false;
        try {
          await this.sync();
        } catch (e) {
          this.log.warn({ err: e }, 'pod sync failed');
        }
      } while (this.again);
      this.running = undefined;
    })();
    return this.running;
  }

  private async sync(): Promise<void> {
    this.steady = false;
    const pod = this.pod;
    if (!pod || pod.metadata?.deletionTimestamp) {
      await this.terminate(pod);
      return;
    }
    // Terminal is final; the local flag covers the time before the informer shows our write.
    const phase = pod.status?.phase;
    if (this.terminal || phase === 'Succeeded' || phase === 'Failed') {
      await this.stopSandboxes();
      this.steady = true;
      return;
    }
    const sandbox = await this.ensureSandbox(pod);
    if ('networkNotReady' in sandbox) {
      await this.writeNetworkWait(pod, sandbox.networkNotReady);
      return;
    }
    const { id: sandboxId, config } = sandbox;
    // Known before any container is made (status.podIP in env and /etc/hosts need it).
    const podIPs = await this.podIPs(pod, sandboxId);
    this.currentPodIPs = podIPs;
    const inputsWait = await this.d.inputs.prepare(pod).then(
      () => undefined,
      (e) => {
        if (!(e instanceof WaitingError)) throw e;
        this.log.debug({ reason: e.reason, message: e.message }, 'pod inputs not ready');
        return { reason: e.reason, message: e.message };
      },
    );
    // Init containers one at a time, each to a successful exit, before any app container.
    const initPolicy = initRestartPolicy(pod.spec?.restartPolicy);
    const inits: ObservedContainer[] = [];
    let initialized = true;
    for (const spec of pod.spec?.initContainers ?? []) {
      if (!initialized || inputsWait) {
        inits.push({
          spec,
          runtimeName: this.d.runtimeName,
          waiting: inputsWait ?? { reason: 'PodInitializing' },
        });
        initialized = false;
        continue;
      }
      const o = await this.ensureContainer(pod, spec, sandboxId, config, initPolicy);
      inits.push(o);
      initialized = o.cri?.state === 'CONTAINER_EXITED' && o.cri.exitCode === 0;
    }
    const observed: ObservedContainer[] = [];
    for (const spec of pod.spec?.containers ?? [])
      observed.push(
        initialized && !inputsWait
          ? await this.ensureContainer(pod, spec, sandboxId, config, pod.spec?.restartPolicy)
          : { spec, runtimeName: this.d.runtimeName, waiting: inputsWait ?? { reason: 'PodInitializing' } },
      );
    const podIP = podIPs[0] ?? '';
    this.probe(pod, podIP, observed);
    const status = computePodStatus({
      pod,
      sandboxReady: true,
      initContainers: inits,
      containers: observed,
      hostIP: this.d.nodeIP,
      podIP,
      nowMs: this.d.now(),
    });
    await this.writeStatus(pod, withPodIPs(status, podIPs));
    const allRunning = observed.every((o) => o.cri?.state === 'CONTAINER_RUNNING');
    this.steady = status.phase === 'Running' && initialized && !inputsWait && allRunning;
    if (status.phase === 'Running' && allRunning) {
      const message = this.startup.report(pod, this.d.now());
      if (message) {
        this.log.info({ breakdown: message }, 'pod started');
        this.event(pod, 'Normal', 'PodStarted', message);
      }
    }
    if (status.phase === 'Succeeded' || status.phase === 'Failed') {
      this.terminal = true;
      await this.stopSandboxes();
    }
  }

  private event(
    pod: Pod,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    container?: string,
  ): void {
    if (!this.d.events) return;
    const m = pod.metadata ?? {};
    this.d.events.event(
      {
        apiVersion: 'v1',
        kind: 'Pod',
        namespace: m.namespace,
        name: m.name,
        uid: m.uid,
        ...(container ? { fieldPath: `spec.containers{${container}}` } : {}),
      },
      type,
      reason,
      message,
    );
  }

  private async terminationMessage(spec: ContainerSpec, st: CriContainerStatus): Promise<string> {
    const known = this.termMessages.get(st.id);
    if (known !== undefined) return known;
    const message = await readTerminationMessage(spec, st, st.logPath || undefined).catch(() => '');
    this.termMessages.set(st.id, message);
    return message;
  }

  /** Hands the running app containers to the prober and attaches its results to them. */
  private probe(pod: Pod, podIP: string, observed: ObservedContainer[]): void {
    const running: RunningContainer[] = [];
    for (const o of observed) {
      if (o.cri?.state !== 'CONTAINER_RUNNING') continue;
      running.push({
        spec: o.spec,
        containerId: o.cri.id,
        startedAtMs: Number(BigInt(o.cri.startedAt) / 1_000_000n),
      });
      o.probe = this.d.probes.state(this.uid, o.cri.id);
    }
    this.d.probes.update(pod, podIP, running);
  }

  /** Pending, containers ContainerCreating, no podIP: what a pod shows while it waits for the network. */
  private async writeNetworkWait(pod: Pod, message: string): Promise<void> {
    if (this.networkWait !== message)
      this.log.warn({ reason: 'NetworkNotReady', message }, 'network is not ready: pod waits');
    this.networkWait = message;
    const waiting = (spec: ContainerSpec, reason: string): ObservedContainer => ({
      spec,
      runtimeName: this.d.runtimeName,
      waiting: { reason },
    });
    const status = computePodStatus({
      pod,
      sandboxReady: false,
      initContainers: (pod.spec?.initContainers ?? []).map((c) => waiting(c, 'PodInitializing')),
      containers: (pod.spec?.containers ?? []).map((c) => waiting(c, 'ContainerCreating')),
      hostIP: this.d.nodeIP,
      podIP: '',
      nowMs: this.d.now(),
    });
    await this.writeStatus(pod, withPodIPs(status, []));
  }

  /** The pod's IPs: the node's for a hostNetwork pod, else its sandbox's (asked once per sandbox). */
  private async podIPs(pod: Pod, sandboxId: string): Promise<string[]> {
    if (pod.spec?.hostNetwork) return [this.d.nodeIP];
    if (this.sandboxIPs?.id === sandboxId) return this.sandboxIPs.ips;
    const net = (await this.d.cri.runtime.podSandboxStatus(sandboxId)).status?.network;
    const ips = [net?.ip ?? '', ...(net?.additionalIps ?? []).map((a) => a.ip)].filter((ip) => ip !== '');
    this.sandboxIPs = { id: sandboxId, ips };
    return ips;
  }

  private sandboxConfig(pod: Pod, attempt: number): PodSandboxConfig {
    return buildSandboxConfig(pod, this.uid, attempt, this.d);
  }

  private async ensureSandbox(
    pod: Pod,
  ): Promise<{ id: string; config: PodSandboxConfig } | { networkNotReady: string }> {
    const sandboxes = await this.d.cri.runtime.listPodSandbox({
      labelSelector: { [POD_UID_LABEL]: this.uid },
    });
    const ready = sandboxes
      .filter((s) => s.state === 'SANDBOX_READY')
      .sort((a, b) => (BigInt(b.createdAt) > BigInt(a.createdAt) ? 1 : -1));
    const current = ready[0];
    if (current) return { id: current.id, config: this.sandboxConfig(pod, current.metadata?.attempt ?? 0) };
    // As upstream: a pod on the pod network waits for it (running sandboxes are kept).
    const networkNotReady = pod.spec?.hostNetwork ? undefined : this.d.network?.notReadyMessage();
    if (networkNotReady) return { networkNotReady };
    // A dead sandbox took its containers with it: start over with a new attempt.
    const attempt = sandboxes.reduce((n, s) => Math.max(n, (s.metadata?.attempt ?? 0) + 1), 0);
    for (const s of sandboxes) await this.removeSandbox(s.id, 0);
    const config = this.sandboxConfig(pod, attempt);
    await mkdir(config.logDirectory ?? podLogDirectory(this.d.podLogsDir, pod, this.uid), {
      recursive: true,
    });
    const t0 = performance.now();
    const start = () => this.d.cri.runtime.runPodSandbox({ config });
    const id = await (this.d.sandboxStarts ? this.d.sandboxStarts.run(start) : start());
    this.startup.add('sandbox', performance.now() - t0);
    this.log.info({ sandbox: id, attempt }, 'pod sandbox started');
    return { id, config };
  }

  private async ensureContainer(
    pod: Pod,
    spec: ContainerSpec,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    restartPolicy: string | undefined,
  ): Promise<ObservedContainer> {
    const rt = this.d.cri.runtime;
    const base = { spec, runtimeName: this.d.runtimeName };
    const attempts = (
      await rt.listContainers({
        podSandboxId: sandboxId,
        labelSelector: { [CONTAINER_NAME_LABEL]: spec.name },
      })
    ).sort((a, b) => attemptOf(b) - attemptOf(a));
    const latest = attempts[0];
    let nextAttempt = 0;
    if (latest) {
      let st = (await rt.containerStatus(latest.id)).status ?? undefined;
      if (st?.state === 'CONTAINER_CREATED') {
        await rt.startContainer(latest.id);
        st = (await rt.containerStatus(latest.id)).status ?? undefined;
      }
      const failure =
        st?.state === 'CONTAINER_RUNNING' ? this.d.probes.takeFailure(this.uid, latest.id) : undefined;
      if (failure) {
        const grace =
          this.d.probes.failureGracePeriod(this.uid, latest.id) ??
          pod.spec?.terminationGracePeriodSeconds ??
          30;
        this.log.info(
          { container: spec.name, id: latest.id, reason: failure },
          'killing container: probe failed',
        );
        await rt.stopContainer(latest.id, grace);
        st = (await rt.containerStatus(latest.id)).status ?? undefined;
      }
      if (st?.state !== 'CONTAINER_EXITED') return { ...base, cri: st };
      st = { ...st, message: await this.terminationMessage(spec, st) };
      if (!shouldRestart(restartPolicy, st.exitCode)) return { ...base, cri: st };
      const now = this.d.now();
      const finishedMs = Number(BigInt(st.finishedAt) / 1_000_000n);
      const ranMs = finishedMs - Number(BigInt(st.startedAt) / 1_000_000n);
      const delayMs = ranMs > BACKOFF_RESET_MS ? undefined : this.backoff.get(spec.name);
      if (delayMs !== undefined && now < finishedMs + delayMs) {
        const message = `back-off ${Math.round(delayMs / 1000)}s restarting failed container=${spec.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${this.uid})`;
        if (this.lastWaiting.get(spec.name) !== 'CrashLoopBackOff')
          this.event(
            pod,
            'Warning',
            'BackOff',
            `Back-off restarting failed container ${spec.name} in pod ${pod.metadata?.name}_${pod.metadata?.namespace}(${this.uid})`,
            spec.name,
          );
        this.lastWaiting.set(spec.name, 'CrashLoopBackOff');
        return { ...base, cri: st, waiting: { reason: 'CrashLoopBackOff', message } };
      }
      // The first restart is immediate; each later one waits twice as long after the exit.
      this.backoff.set(
        spec.name,
        delayMs === undefined ? BACKOFF_INITIAL_MS : Math.min(delayMs * 2, BACKOFF_MAX_MS),
      );
      nextAttempt = attemptOf(latest) + 1;
    }
    try {
      const id = await this.startContainer(pod, spec, sandboxId, sandboxConfig, nextAttempt);
      // Keep the previous attempt for its lastState; older ones go.
      for (const old of attempts.slice(1)) await rt.removeContainer(old.id).catch(() => undefined);
      const st = (await rt.containerStatus(id)).status ?? undefined;
      return { ...base, cri: st };
    } catch (e) {
      const w =
        e instanceof WaitingError
          ? { reason: e.reason, message: e.message }
          : { reason: 'RunContainerError', message: e instanceof CriError ? e.runtimeMessage : String(e) };
      const repeat = this.lastWaiting.get(spec.name) === w.reason;
      const level = repeat ? 'debug' : 'warn';
      this.lastWaiting.set(spec.name, w.reason);
      if (!repeat) {
        if (w.reason === 'ErrImagePull' || w.reason === 'ErrImageNeverPull')
          this.event(
            pod,
            'Warning',
            'Failed',
            `Failed to pull image "${spec.image}": ${w.message}`,
            spec.name,
          );
        if (w.reason !== 'ImagePullBackOff')
          this.event(pod, 'Warning', 'Failed', `Error: ${w.reason}`, spec.name);
        else this.event(pod, 'Normal', 'BackOff', `Back-off pulling image "${spec.image}"`, spec.name);
      }
      this.log[level](
        { container: spec.name, reason: w.reason, message: w.message },
        'container not started',
      );
      return { ...base, waiting: w };
    }
  }

  /** Makes the image present per the pull policy; returns the image's user for runAsNonRoot. */
  private async pull(pod: Pod, spec: ContainerSpec): Promise<ImageUser | undefined> {
    const image = spec.image ?? '';
    const policy = spec.imagePullPolicy ?? defaultPullPolicy(image);
    const userOf = (i: { uid: { value: string | number } | null; username: string } | null) =>
      i ? { uid: i.uid ? Number(i.uid.value) : undefined, username: i.username || undefined } : undefined;
    if (policy !== 'Always') {
      const st = await this.d.cri.images.imageStatus(image);
      if (st.image) {
        if (!this.presentReported.has(spec.name)) {
          this.presentReported.add(spec.name);
          this.event(
            pod,
            'Normal',
            'Pulled',
            `Container image "${image}" already present on machine`,
            spec.name,
          );
        }
        return userOf(st.image);
      }
      if (policy === 'Never')
        throw new WaitingError(
          'ErrImageNeverPull',
          `Container image "${image}" is not present with pull policy of Never`,
        );
    }
    const failed = this.pullFailures.get(image);
    const now = this.d.now();
    if (failed && now < failed.at + failed.delayMs)
      throw new WaitingError('ImagePullBackOff', `Back-off pulling image "${image}": ${failed.message}`);
    this.event(pod, 'Normal', 'Pulling', `Pulling image "${image}"`, spec.name);
    const t0 = performance.now();
    try {
      const pullOnce = () => this.pullWithSecrets(pod, image);
      await (this.d.pulls ? this.d.pulls.run(pullOnce) : pullOnce());
      this.pullFailures.delete(image);
      const ms = performance.now() - t0;
      this.startup.add('pull', ms);
      this.event(
        pod,
        'Normal',
        'Pulled',
        `Successfully pulled image "${image}" in ${Math.round(ms)}ms`,
        spec.name,
      );
      return userOf((await this.d.cri.images.imageStatus(image)).image);
    } catch (e) {
      const message = e instanceof CriError ? e.runtimeMessage : String(e);
      const delayMs = failed ? Math.min(failed.delayMs * 2, BACKOFF_MAX_MS) : BACKOFF_INITIAL_MS;
      this.pullFailures.set(image, { at: now, delayMs, message });
      throw new WaitingError('ErrImagePull', message);
    }
  }

  /** Tries the pod's matching imagePullSecrets in turn, then no credentials if none match. */
  private async pullWithSecrets(pod: Pod, image: string): Promise<void> {
    const secrets: Secret[] = [];
    for (const ref of pod.spec?.imagePullSecrets ?? []) {
      if (!ref.name) continue;
      try {
        secrets.push(await this.d.api.get<Secret>(SECRETS, ref.name, { namespace: pod.metadata?.namespace }));
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
        this.event(
          pod,
          'Warning',
          'FailedToRetrieveImagePullSecret',
          `Unable to retrieve some image pull secrets (${ref.name}); attempting to pull the image may not succeed.`,
        );
      }
    }
    const credentials = pullCredentials(image, secrets);
    if (credentials.length === 0) {
      await this.d.cri.images.pullImage(image);
      return;
    }
    let last: unknown;
    for (const auth of credentials) {
      try {
        await this.d.cri.images.pullImage({ image: { image }, auth });
        return;
      } catch (e) {
        last = e;
      }
    }
    throw last;
  }

  private async startContainer(
    pod: Pod,
    spec: ContainerSpec,
    sandboxId: string,
    sandboxConfig: PodSandboxConfig,
    attempt: number,
  ): Promise<string> {
    const imageUser = await this.pull(pod, spec);
    const net = { podIPs: this.currentPodIPs };
    const config = buildContainerConfig({
      pod,
      uid: this.uid,
      spec,
      attempt,
      envs: await this.d.inputs.env(pod, spec, net),
      mounts: await this.d.inputs.mounts(pod, spec, net),
      namespaces: sandboxConfig.linux?.securityContext?.namespaceOptions ?? HOST_NAMESPACES,
      imageUser,
    });
    let id: string;
    const t0 = performance.now();
    try {
      id = await this.d.cri.runtime.createContainer({ podSandboxId: sandboxId, config, sandboxConfig });
    } catch (e) {
      throw new WaitingError('CreateContainerError', e instanceof CriError ? e.runtimeMessage : String(e));
    }
    const t1 = performance.now();
    this.event(pod, 'Normal', 'Created', `Created container ${spec.name}`, spec.name);
    await this.d.cri.runtime.startContainer(id);
    const t2 = performance.now();
    if (attempt === 0) {
      this.startup.add('create', t1 - t0);
      this.startup.add('start', t2 - t1);
    }
    this.event(pod, 'Normal', 'Started', `Started container ${spec.name}`, spec.name);
    this.log.info({ container: spec.name, attempt, id }, 'container started');
    return id;
  }

  private async writeStatus(pod: Pod, status: PodStatus): Promise<void> {
    if (this.statusWriter) {
      // The static pod keeps its status locally, so times and conditions carry over between
      // syncs; the writer skips unchanged writes per mirror (a new mirror gets one at once).
      (pod as { status?: PodStatus }).status = status;
      await this.statusWriter(pod, status);
      return;
    }
    const json = JSON.stringify(status);
    if (json === this.lastStatus) return;
    const put = (p: Pod) => this.d.api.updateStatus<Pod>(PODS, { ...p, status });
    try {
      await put(pod);
    } catch (e) {
      if (!isStatusError(e, 'Conflict')) throw e;
      const fresh = await this.d.api.get<Pod>(PODS, pod.metadata?.name ?? '', {
        namespace: pod.metadata?.namespace,
      });
      if (fresh.metadata?.uid !== this.uid) return;
      await put(fresh);
    }
    this.lastStatus = json;
    this.log.debug({ phase: status.phase }, 'pod status written');
  }

  private async stopSandboxes(): Promise<void> {
    const sandboxes = await this.d.cri.runtime.listPodSandbox({
      labelSelector: { [POD_UID_LABEL]: this.uid },
    });
    for (const s of sandboxes) {
      if (s.state === 'SANDBOX_READY') await this.d.cri.runtime.stopPodSandbox(s.id);
    }
  }

  private async removeSandbox(id: string, graceSeconds: number): Promise<void> {
    const rt = this.d.cri.runtime;
    const containers = await rt.listContainers({ podSandboxId: id });
    await Promise.all(
      containers
        .filter((c) => c.state === 'CONTAINER_RUNNING' || c.state === 'CONTAINER_CREATED')
        .map((c) =>
          rt
            .stopContainer(c.id, graceSeconds)
            .catch((e) => (isCriNotFound(e) ? undefined : Promise.reject(e))),
        ),
    );
    await rt.stopPodSandbox(id).catch((e) => (isCriNotFound(e) ? undefined : Promise.reject(e)));
    await rt.removePodSandbox(id).catch((e) => (isCriNotFound(e) ? undefined : Promise.reject(e)));
  }

  /** Stops and removes the pod's sandboxes, then confirms the deletion to the API. */
  private async terminate(pod: Pod | undefined): Promise<void> {
    if (this.deleteConfirmed && pod) return;
    const grace = pod
      ? (pod.metadata?.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30)
      : 0;
    const sandboxes = await this.d.cri.runtime.listPodSandbox({
      labelSelector: { [POD_UID_LABEL]: this.uid },
    });
    this.d.probes.forget(this.uid);
    for (const s of sandboxes) await this.removeSandbox(s.id, grace);
    if (sandboxes.length > 0) {
      this.log.info({ sandboxes: sandboxes.length, grace }, 'pod sandboxes removed');
      // containerd leaves the pod-level cgroup behind (directories, or a systemd slice).
      await this.d.cgroups.removePod(this.uid);
      const m = sandboxes[0]?.metadata;
      if (m)
        await rm(join(this.d.podLogsDir, `${m.namespace}_${m.name}_${this.uid}`), {
          recursive: true,
          force: true,
        });
    }
    await this.d.inputs.cleanup(this.uid);
    if (pod) {
      try {
        await this.d.api.delete(PODS, pod.metadata?.name ?? '', {
          namespace: pod.metadata?.namespace,
          gracePeriodSeconds: 0,
          preconditions: { uid: this.uid },
        });
      } catch (e) {
        if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
      }
      this.deleteConfirmed = true;
      this.log.info('pod deletion confirmed');
    } else {
      this.finished = true;
    }
  }
}
