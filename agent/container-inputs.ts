import { mkdir, readdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname, join } from 'node:path';
import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { KubeObject } from '../api/object.js';
import { parseQuantity } from '../api/quantity.js';
import { EventRecorder } from '../client/event-recorder.js';
import type { ApiClient } from '../client/rest-client.js';
import type { KeyValue, Mount } from '../shim/index.js';
import { resolveContainerEnv } from './env/container-env.js';
import type { PodAddresses } from './env/field-ref.js';
import type { Allocatable } from './env/resource-field-ref.js';
import { firstHostIPv4 } from './node-info.js';
import { podHostsFile } from './pod-dns.js';
import { containerVolumeMounts } from './volumes/container-mounts.js';
import { ServiceAccountTokens } from './volumes/service-account-token.js';
import { SourceCache } from './volumes/source-cache.js';
import { terminationMessageMount } from './volumes/termination-message.js';
import { VolumeManager, VolumeSetUpError } from './volumes/volume-manager.js';
import { WaitingError } from './waiting-error.js';

/** Network facts of the pod's sandbox the pod object may not show yet. */
export interface PodNetwork {
  /** The sandbox's IPs (default: the pod's status, else the node's IP, as for host-network pods). */
  podIPs?: string[];
}

/**
 * What a container needs from outside its spec before it can be created: resolved environment
 * and the mounts of its volumes. Implementations throw WaitingError (CreateContainerConfigError)
 * when a source (ConfigMap, Secret...) is missing, so the pod waits and retries.
 */
export interface ContainerInputs {
  /**
   * Called at the start of every sync of a running pod: makes its volumes ready and refreshes
   * changed sources in place. Throws WaitingError while a source is missing.
   */
  prepare(pod: Pod): Promise<void>;
  /** Environment of `spec` with valueFrom and envFrom resolved, in the order Kubernetes applies them. */
  env(pod: Pod, spec: ContainerSpec, net?: PodNetwork): Promise<KeyValue[]>;
  /** The mounts of `spec`'s volumeMounts (after prepare). */
  mounts(pod: Pod, spec: ContainerSpec, net?: PodNetwork): Promise<Mount[]>;
  /** Removes what was made for the pod, after its sandboxes are gone. */
  cleanup(uid: string): Promise<void>;
  /** Removes what was left of pods not in `active` (deleted while the kubelet was down). */
  cleanupOrphans?(active: ReadonlySet<string>): Promise<void>;
}

/** Literal env values only, no volumes. */
export const literalContainerInputs: ContainerInputs = {
  prepare: async () => undefined,
  env: async (_pod, spec) =>
    (spec.env ?? []).filter((e) => !e.valueFrom).map((e) => ({ key: e.name, value: e.value ?? '' })),
  mounts: async () => [],
  cleanup: async () => undefined,
};

export interface ContainerInputsOptions {
  api: ApiClient;
  log: Logger;
  /** The kubelet's --root-dir: pod volumes live under `<rootDir>/pods/<uid>/volumes/`. */
  rootDir: string;
  nodeName: string;
  /** The node's InternalIP (status.hostIP). Default: the pod's status.hostIP, else the host's first IPv4. */
  nodeIP?: string;
  /** Records FailedMount and InvalidEnvironmentVariableNames Events. Default: one made from `api`. */
  recorder?: EventRecorder;
  /** How long a ConfigMap or Secret read from the API is used. Default 10 s. */
  sourceTtlMs?: number;
  /** How long a missing ConfigMap or Secret is believed missing. Default 3 s. */
  missingSourceTtlMs?: number;
  /** Cluster domain for the pod's own line in its managed /etc/hosts. Default cluster.local. */
  clusterDomain?: string;
  /** Mount tmpfs for Memory emptyDirs, secrets and projected volumes (needs root). Default true. */
  tmpfs?: boolean;
  now?: () => number;
}

/** A repeated FailedMount Event is recorded again after this long. */
const EVENT_REPEAT_MS = 60_000;

/**
 * The kubelet's container inputs: env with valueFrom/envFrom and `$(VAR)` expansion, volumes under
 * `<rootDir>/pods/<uid>/volumes/`, the termination-message file. ConfigMaps and Secrets are read
 * through a short-lived cache shared by all pods (see SourceCache).
 */
export class KubeletContainerInputs implements ContainerInputs {
  readonly sources: SourceCache;
  readonly volumes: VolumeManager;
  private readonly recorder: EventRecorder;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly lastMountEvent = new Map<string, { message: string; at: number }>();

  constructor(private readonly o: ContainerInputsOptions) {
    this.log = o.log.child({ component: 'container-inputs' });
    this.now = o.now ?? Date.now;
    this.sources = new SourceCache({
      api: o.api,
      log: this.log,
      now: this.now,
      ttlMs: o.sourceTtlMs,
      missingTtlMs: o.missingSourceTtlMs,
    });
    this.recorder =
      o.recorder ?? new EventRecorder({ api: o.api, component: 'kubelet', host: o.nodeName, log: this.log });
    this.volumes = new VolumeManager({
      rootDir: o.rootDir,
      log: this.log,
      sources: this.sources,
      tokens: new ServiceAccountTokens({ api: o.api, log: this.log, now: this.now }),
      addresses: (pod) => this.addresses(pod),
      allocatable: () => this.allocatable(),
      nodeMemoryBytes: () => os.totalmem(),
      tmpfs: o.tmpfs,
    });
  }

  async prepare(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    try {
      await this.volumes.setUp(pod);
      this.lastMountEvent.delete(uid);
    } catch (e) {
      if (!(e instanceof VolumeSetUpError)) throw e;
      const now = this.now();
      const last = this.lastMountEvent.get(uid);
      if (!last || last.message !== e.message || now - last.at >= EVENT_REPEAT_MS) {
        for (const f of e.failures) this.recorder.event(pod as KubeObject, 'Warning', 'FailedMount', f);
        this.lastMountEvent.set(uid, { message: e.message, at: now });
      }
      // A volume that has content keeps it: running containers go on, as upstream's do.
      if (!e.blocking) {
        this.log.debug({ uid, message: e.message }, 'volume refresh failed, last content kept');
        return;
      }
      // Upstream leaves such containers in ContainerCreating while the volume manager retries.
      throw new WaitingError('ContainerCreating', e.message);
    }
  }

  async env(pod: Pod, spec: ContainerSpec, net?: PodNetwork): Promise<KeyValue[]> {
    try {
      return await resolveContainerEnv(pod, spec, {
        sources: this.sources,
        addresses: this.addresses(pod, net),
        allocatable: () => this.allocatable(),
        services: async (ns) => [
          ...(await this.sources.services(ns)),
          ...(ns === 'default' ? [] : await this.sources.services('default')),
        ],
        onInvalidKeys: (kind, name, keys) =>
          this.recorder.event(
            pod as KubeObject,
            'Warning',
            'InvalidEnvironmentVariableNames',
            `Keys [${keys.join(', ')}] from the EnvFrom ${kind} ${pod.metadata?.namespace}/${name} were skipped since they are considered invalid environment variable names.`,
          ),
      });
    } catch (e) {
      throw new WaitingError('CreateContainerConfigError', e instanceof Error ? e.message : String(e));
    }
  }

  async mounts(pod: Pod, spec: ContainerSpec, net?: PodNetwork): Promise<Mount[]> {
    try {
      const needsEnv = (spec.volumeMounts ?? []).some((m) => m.subPathExpr);
      const env = needsEnv ? await this.env(pod, spec, net) : [];
      const uid = pod.metadata?.uid ?? '';
      const mounts = await containerVolumeMounts(spec, (name) => this.volumes.volumePath(pod, name), env);
      mounts.push(await terminationMessageMount(this.volumes.podDir(uid), spec));
      const hosts = await this.hostsFileMount(pod, mounts, net);
      if (hosts) mounts.push(hosts);
      return mounts;
    } catch (e) {
      if (e instanceof WaitingError) throw e;
      throw new WaitingError('CreateContainerConfigError', e instanceof Error ? e.message : String(e));
    }
  }

  /**
   * As upstream, pods on the pod network get a kubelet-managed /etc/hosts naming their own IP
   * and hostname (containerd would copy the node's), unless a container mounts one itself.
   */
  private async hostsFileMount(pod: Pod, mounts: Mount[], net?: PodNetwork): Promise<Mount | undefined> {
    const ips = net?.podIPs ?? [];
    if (pod.spec?.hostNetwork || ips.length === 0 || mounts.some((m) => m.containerPath === '/etc/hosts'))
      return undefined;
    const path = join(this.volumes.podDir(pod.metadata?.uid ?? ''), 'etc-hosts');
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, podHostsFile(pod, ips, this.o.clusterDomain ?? 'cluster.local'), { mode: 0o644 });
    return { containerPath: '/etc/hosts', hostPath: path, readonly: false };
  }

  async cleanup(uid: string): Promise<void> {
    this.lastMountEvent.delete(uid);
    await this.volumes.tearDown(uid);
  }

  /**
   * Tears down the directories of pods not in `active` (uids of every pod the kubelet knows,
   * running or terminating), e.g. pods deleted while the kubelet was down whose sandboxes are gone.
   */
  async cleanupOrphans(active: ReadonlySet<string>): Promise<void> {
    const uids = await readdir(join(this.o.rootDir, 'pods')).catch(() => [] as string[]);
    for (const uid of uids) {
      if (active.has(uid)) continue;
      this.log.info({ uid }, 'removing orphaned pod directory');
      await this.cleanup(uid);
    }
  }

  private addresses(pod: Pod, net?: PodNetwork): PodAddresses {
    const ips = (list: { ip?: string }[] | undefined) => (list ?? []).map((a) => a.ip ?? '').filter(Boolean);
    const hostIP = this.o.nodeIP ?? pod.status?.hostIP ?? firstHostIPv4() ?? '';
    const statusHostIPs = ips(pod.status?.hostIPs);
    const hostIPs = !this.o.nodeIP && statusHostIPs.length > 0 ? statusHostIPs : [hostIP];
    const statusPodIPs = ips(pod.status?.podIPs);
    const podIPs =
      net?.podIPs ??
      (statusPodIPs.length > 0 ? statusPodIPs : pod.status?.podIP ? [pod.status.podIP] : [hostIP]);
    return { hostIPs, podIPs };
  }

  /** The node's allocatable from its Node object, else the host's cpus and memory. */
  private async allocatable(): Promise<Allocatable> {
    const node = await this.sources.node(this.o.nodeName).catch(() => undefined);
    const a = node?.status?.allocatable ?? {};
    const q = (v: string | undefined) => (v === undefined ? undefined : parseQuantity(v));
    return {
      cpu: q(a.cpu) ?? parseQuantity(os.cpus().length),
      memory: q(a.memory) ?? parseQuantity(os.totalmem()),
      ...(a['ephemeral-storage'] ? { 'ephemeral-storage': parseQuantity(a['ephemeral-storage']) } : {}),
    };
  }
}

export function createContainerInputs(o: ContainerInputsOptions): ContainerInputs {
  return new KubeletContainerInputs(o);
}
