import { chmod, chown, mkdir, readlink, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod, Volume } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { parseQuantity } from '../../api/quantity.js';
import type { PodAddresses } from '../env/field-ref.js';
import type { Allocatable } from '../env/resource-field-ref.js';
import { type Payload, writeAtomic } from './atomic-writer.js';
import { checkHostPath } from './host-path.js';
import {
  configMapPayload,
  DEFAULT_MODE,
  downwardApiPayload,
  payloadFingerprint,
  secretPayload,
} from './payload.js';
import type { ServiceAccountTokens } from './service-account-token.js';
import { type SourceCache, SourceNotFoundError } from './source-cache.js';
import { mountTmpfs, unmountUnder } from './tmpfs.js';

/** Where a volume is on the host, as containers mount it. */
export interface VolumePath {
  hostPath: string;
  /** configMap, secret, downwardAPI and projected volumes are always mounted read-only. */
  readOnly: boolean;
}

export interface VolumeManagerOptions {
  rootDir: string;
  log: Logger;
  sources: Pick<SourceCache, 'configMap' | 'secret'>;
  tokens: Pick<ServiceAccountTokens, 'token' | 'forget'>;
  addresses: (pod: Pod) => PodAddresses;
  allocatable: () => Promise<Allocatable>;
  /** Memory a Memory-medium emptyDir may use at most when the pod sets no lower limit. */
  nodeMemoryBytes: () => number;
  /** Mounts tmpfs (Memory emptyDir, secret and projected volumes); false keeps everything on disk. Default true. */
  tmpfs?: boolean;
}

/** The failures of a pod's volumes, one `MountVolume.SetUp failed for volume "x" : why` each. */
export class VolumeSetUpError extends Error {
  constructor(
    readonly failures: string[],
    /**
     * False when every failing volume was set up before and keeps its last content (e.g. its
     * ConfigMap was deleted under a running pod): containers need not wait for it.
     */
    readonly blocking: boolean,
  ) {
    super(failures.join('; '));
  }
}

/** Upstream's plugin directory names under pods/<uid>/volumes/. */
const PLUGIN_DIRS = {
  emptyDir: 'kubernetes.io~empty-dir',
  configMap: 'kubernetes.io~configmap',
  secret: 'kubernetes.io~secret',
  downwardAPI: 'kubernetes.io~downward-api',
  projected: 'kubernetes.io~projected',
} as const;

interface VolumeState {
  /** Set up once (directories, tmpfs, hostPath checks). */
  ready: boolean;
  /** Digest of the files last written, to skip unchanged content without touching the disk. */
  fingerprint?: string;
  /** The volume holds content (written now or found from before a kubelet restart). */
  hasContent?: boolean;
}

function sumMemoryLimits(pod: Pod): number | undefined {
  let sum = 0;
  for (const c of pod.spec?.containers ?? []) {
    const lim = c.resources?.limits?.memory;
    if (lim === undefined) return undefined;
    sum += parseQuantity(lim).value();
  }
  for (const c of pod.spec?.initContainers ?? []) {
    const lim = c.resources?.limits?.memory;
    if (lim !== undefined) sum = Math.max(sum, parseQuantity(lim).value());
  }
  return sum;
}

/**
 * Makes and keeps current the volumes of the pods on this node, under
 * `<rootDir>/pods/<uid>/volumes/<plugin>/<name>` as upstream lays them out: emptyDir (disk or
 * tmpfs), hostPath (type checks), and configMap, secret, downwardAPI and projected volumes
 * written atomically and rewritten in place when their source changes.
 */
export class VolumeManager {
  private readonly state = new Map<string, Map<string, VolumeState>>();
  private tmpfsWarned = false;

  constructor(private readonly o: VolumeManagerOptions) {}

  podDir(uid: string): string {
    return join(this.o.rootDir, 'pods', uid);
  }

  /** The host path of the pod's volume `name`, or undefined when the pod has no such volume. */
  volumePath(pod: Pod, name: string): VolumePath | undefined {
    const v = pod.spec?.volumes?.find((x) => x.name === name);
    if (!v) return undefined;
    if (v.hostPath) return { hostPath: v.hostPath.path, readOnly: false };
    const plugin = pluginOf(v);
    if (!plugin) return undefined;
    return {
      hostPath: this.dir(pod.metadata?.uid ?? '', plugin, v.name),
      readOnly: plugin !== 'emptyDir',
    };
  }

  /** Sets up every volume of the pod and refreshes changed content; throws VolumeSetUpError listing the failures. */
  async setUp(pod: Pod): Promise<void> {
    const uid = pod.metadata?.uid ?? '';
    let states = this.state.get(uid);
    if (!states) {
      states = new Map();
      this.state.set(uid, states);
    }
    const failures: string[] = [];
    let blocking = false;
    for (const v of pod.spec?.volumes ?? []) {
      let st = states.get(v.name);
      if (!st) {
        st = { ready: false };
        states.set(v.name, st);
      }
      try {
        await this.setUpVolume(pod, uid, v, st);
      } catch (e) {
        failures.push(
          `MountVolume.SetUp failed for volume "${v.name}" : ${e instanceof Error ? e.message : String(e)}`,
        );
        if (!st.ready || !st.hasContent) blocking = true;
      }
    }
    if (failures.length > 0) throw new VolumeSetUpError(failures, blocking);
  }

  /** Unmounts the pod's tmpfs volumes and removes its directory. */
  async tearDown(uid: string): Promise<void> {
    const dir = this.podDir(uid);
    await unmountUnder(dir);
    await rm(dir, { recursive: true, force: true });
    this.state.delete(uid);
    this.o.tokens.forget(uid);
  }

  private dir(uid: string, plugin: keyof typeof PLUGIN_DIRS, name: string): string {
    return join(this.podDir(uid), 'volumes', PLUGIN_DIRS[plugin], name);
  }

  private async setUpVolume(pod: Pod, uid: string, v: Volume, st: VolumeState): Promise<void> {
    if (v.hostPath) {
      if (!st.ready) await checkHostPath(v.hostPath.path, v.hostPath.type);
      st.ready = true;
      st.hasContent = true;
      return;
    }
    const plugin = pluginOf(v);
    if (!plugin) throw new Error('volume type not supported by this kubelet');
    const dir = this.dir(uid, plugin, v.name);
    if (!st.ready) {
      await mkdir(dir, { recursive: true, mode: 0o755 });
      if (plugin === 'emptyDir') {
        if (v.emptyDir?.medium === 'Memory') await this.tmpfs(dir, this.emptyDirSize(pod, v));
        else if (v.emptyDir?.medium) throw new Error(`emptyDir medium ${v.emptyDir.medium} is not supported`);
        await chmod(dir, 0o777);
        const gid = pod.spec?.securityContext?.fsGroup;
        if (gid !== undefined) {
          await chown(dir, -1, gid);
          await chmod(dir, 0o2777);
        }
      } else if (plugin === 'secret' || plugin === 'projected') {
        // Secrets never touch the disk, as upstream keeps them.
        await this.tmpfs(dir, 0);
      }
      st.ready = true;
      st.hasContent =
        plugin === 'emptyDir' ||
        (await readlink(join(dir, '..data')).then(
          () => true,
          () => false,
        ));
    }
    if (plugin === 'emptyDir') return;
    const payload = await this.payload(pod, v);
    const fsGroup = pod.spec?.securityContext?.fsGroup;
    // With an fsGroup the files are group-readable, as upstream makes them.
    if (fsGroup !== undefined) for (const f of payload.values()) f.mode |= 0o440;
    const fp = payloadFingerprint(payload);
    if (fp === st.fingerprint) return;
    const written = await writeAtomic(dir, payload, { fsGroup });
    st.fingerprint = fp;
    st.hasContent = true;
    if (written) this.o.log.debug({ pod: pod.metadata?.name, volume: v.name }, 'volume content written');
  }

  private async tmpfs(dir: string, sizeBytes: number): Promise<void> {
    if (this.o.tmpfs === false) return;
    try {
      await mountTmpfs(dir, sizeBytes);
    } catch (e) {
      if (!this.tmpfsWarned) this.o.log.warn({ err: e, dir }, 'tmpfs mount failed, volume kept on disk');
      this.tmpfsWarned = true;
    }
  }

  /** The smallest of the node's memory, the pod's memory limit and the volume's sizeLimit. */
  private emptyDirSize(pod: Pod, v: Volume): number {
    let size = this.o.nodeMemoryBytes();
    const podLimit = sumMemoryLimits(pod);
    if (podLimit !== undefined && podLimit > 0 && podLimit < size) size = podLimit;
    const limit = v.emptyDir?.sizeLimit === undefined ? 0 : parseQuantity(v.emptyDir.sizeLimit).value();
    if (limit > 0 && limit < size) size = limit;
    return size;
  }

  private async payload(pod: Pod, v: Volume): Promise<Payload> {
    const ns = pod.metadata?.namespace ?? 'default';
    if (v.configMap) {
      const name = v.configMap.name ?? '';
      const optional = v.configMap.optional ?? false;
      const cm = await this.o.sources.configMap(ns, name);
      if (!cm) {
        if (optional) return new Map();
        throw new SourceNotFoundError('configmap', name);
      }
      return configMapPayload(cm, v.configMap.items, v.configMap.defaultMode ?? DEFAULT_MODE, optional);
    }
    if (v.secret) {
      const name = v.secret.secretName ?? '';
      const optional = v.secret.optional ?? false;
      const s = await this.o.sources.secret(ns, name);
      if (!s) {
        if (optional) return new Map();
        throw new SourceNotFoundError('secret', name);
      }
      return secretPayload(s, v.secret.items, v.secret.defaultMode ?? DEFAULT_MODE, optional);
    }
    if (v.downwardAPI)
      return downwardApiPayload(
        pod,
        v.downwardAPI.items,
        v.downwardAPI.defaultMode ?? DEFAULT_MODE,
        this.o.addresses(pod),
        await this.o.allocatable(),
      );
    if (v.projected) return this.projectedPayload(pod, ns, v.projected);
    return new Map();
  }

  private async projectedPayload(
    pod: Pod,
    ns: string,
    p: NonNullable<Volume['projected']>,
  ): Promise<Payload> {
    const mode = p.defaultMode ?? DEFAULT_MODE;
    const out: Payload = new Map();
    const errors: string[] = [];
    const merge = (part: Payload) => {
      for (const [k, f] of part) out.set(k, f);
    };
    for (const src of p.sources ?? []) {
      try {
        if (src.configMap) {
          const name = src.configMap.name ?? '';
          const optional = src.configMap.optional ?? false;
          const cm = await this.o.sources.configMap(ns, name);
          if (!cm && !optional) throw new SourceNotFoundError('configmap', name);
          if (cm) merge(configMapPayload(cm, src.configMap.items, mode, optional));
        } else if (src.secret) {
          const name = src.secret.name ?? '';
          const optional = src.secret.optional ?? false;
          const s = await this.o.sources.secret(ns, name);
          if (!s && !optional) throw new SourceNotFoundError('secret', name);
          if (s) merge(secretPayload(s, src.secret.items, mode, optional));
        } else if (src.downwardAPI) {
          merge(
            downwardApiPayload(
              pod,
              src.downwardAPI.items,
              mode,
              this.o.addresses(pod),
              await this.o.allocatable(),
            ),
          );
        } else if (src.serviceAccountToken) {
          const token = await this.o.tokens.token(pod, src.serviceAccountToken);
          if (token !== undefined) out.set(src.serviceAccountToken.path, { data: Buffer.from(token), mode });
        }
      } catch (e) {
        errors.push(e instanceof Error ? e.message : String(e));
      }
    }
    if (errors.length > 0) throw new Error(errors.join(', '));
    return out;
  }
}

function pluginOf(v: Volume): keyof typeof PLUGIN_DIRS | undefined {
  if (v.emptyDir) return 'emptyDir';
  if (v.configMap) return 'configMap';
  if (v.secret) return 'secret';
  if (v.downwardAPI) return 'downwardAPI';
  if (v.projected) return 'projected';
  return undefined;
}
