import os from 'node:os';
import type { Container as ContainerSpec, Pod, SecurityContext } from 'kubernetes-types/core/v1.js';
import { parseQuantity } from '../api/quantity.js';
import type {
  ContainerConfig,
  KeyValue,
  LinuxContainerResources,
  LinuxContainerSecurityContext,
  Mount,
  NamespaceOption,
} from '../shim/index.js';
import { envLookup, expandVars } from './env/expand.js';
import { CONTAINER_NAME_LABEL, POD_NAME_LABEL, POD_NAMESPACE_LABEL, POD_UID_LABEL } from './labels.js';
import { containerOomScoreAdj } from './qos.js';
import { WaitingError } from './waiting-error.js';

/** The user an image runs as, from CRI ImageStatus (`image.uid`, `image.username`). */
export interface ImageUser {
  uid?: number;
  username?: string;
}

export interface ContainerConfigInput {
  pod: Pod;
  uid: string;
  spec: ContainerSpec;
  attempt: number;
  envs: KeyValue[];
  mounts: Mount[];
  /** The sandbox's namespace options, which the containers share. */
  namespaces: NamespaceOption;
  /** The node's memory, for the Burstable oom_score_adj. Default: the host's. */
  memoryCapacityBytes?: number;
  /**
   * The image's user, for the runAsNonRoot check. Unknown counts as root, as upstream treats an
   * image without a user.
   */
  imageUser?: ImageUser;
}

const MIN_SHARES = 2;
const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024;
export const CPU_PERIOD_US = 100_000;
const MIN_QUOTA_US = 1000;

/** cpu.shares for a cpu request in millicores (2 when none). */
export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.trunc((milli * SHARES_PER_CPU) / 1000);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** CFS quota in µs per CPU_PERIOD_US for a cpu limit in millicores (0: no limit). */
export function milliCpuToQuota(milli: number, periodUs = CPU_PERIOD_US): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_US, Math.trunc((milli * periodUs) / 1000));
}

const milliOf = (v: string | number | undefined) => (v === undefined ? 0 : parseQuantity(v).milliValue());
const bytesOf = (v: string | number | undefined) => (v === undefined ? 0 : parseQuantity(v).value());

/** The CRI linux resources of a container: shares from the cpu request, quota from the limit, memory limit, oom_score_adj. */
export function linuxContainerResources(
  pod: Pod,
  spec: ContainerSpec,
  memoryCapacityBytes: number,
): LinuxContainerResources {
  const limits = spec.resources?.limits ?? {};
  const requests = spec.resources?.requests ?? {};
  const cpuLimit = milliOf(limits.cpu);
  // A request defaults to the limit.
  const cpuRequest = requests.cpu !== undefined ? milliOf(requests.cpu) : cpuLimit;
  const quota = milliCpuToQuota(cpuLimit);
  const memory = bytesOf(limits.memory);
  return {
    cpuShares: milliCpuToShares(cpuRequest),
    cpuPeriod: CPU_PERIOD_US,
    ...(quota > 0 ? { cpuQuota: quota } : {}),
    ...(memory > 0 ? { memoryLimitInBytes: memory } : {}),
    oomScoreAdj: containerOomScoreAdj(pod, spec, memoryCapacityBytes),
  };
}

/** The container's security context with the pod's fields filled in where it sets none. */
export function effectiveSecurityContext(pod: Pod, spec: ContainerSpec): SecurityContext {
  const p = pod.spec?.securityContext ?? {};
  const c = spec.securityContext ?? {};
  return {
    ...c,
    runAsUser: c.runAsUser ?? p.runAsUser,
    runAsGroup: c.runAsGroup ?? p.runAsGroup,
    runAsNonRoot: c.runAsNonRoot ?? p.runAsNonRoot,
    seLinuxOptions: c.seLinuxOptions ?? p.seLinuxOptions,
    seccompProfile: c.seccompProfile ?? p.seccompProfile,
    appArmorProfile: c.appArmorProfile ?? p.appArmorProfile,
  };
}

const podRef = (pod: Pod, uid: string) => `${pod.metadata?.name}_${pod.metadata?.namespace}(${uid})`;

/** Refuses a container that would run as root under runAsNonRoot (CreateContainerConfigError). */
export function verifyRunAsNonRoot(
  pod: Pod,
  uid: string,
  spec: ContainerSpec,
  imageUser: ImageUser | undefined,
): void {
  const sc = effectiveSecurityContext(pod, spec);
  if (!sc.runAsNonRoot) return;
  const where = `(pod: "${podRef(pod, uid)}", container: ${spec.name})`;
  const fail = (m: string) => new WaitingError('CreateContainerConfigError', m);
  if (sc.runAsUser !== undefined) {
    if (sc.runAsUser === 0) throw fail(`container's runAsUser breaks non-root policy ${where}`);
    return;
  }
  if (imageUser?.uid === undefined && imageUser?.username)
    throw fail(
      `container has runAsNonRoot and image has non-numeric user (${imageUser.username}), cannot verify user is non-root ${where}`,
    );
  if ((imageUser?.uid ?? 0) === 0)
    throw fail(`container has runAsNonRoot and image will run as root ${where}`);
}

// The paths runtimes hide or make read-only in /proc and /sys unless procMount is Unmasked.
const MASKED_PATHS = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];
const READONLY_PATHS = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** The CRI security context: user and group, privileged, capabilities, read-only root, no_new_privs, groups. */
export function linuxContainerSecurityContext(
  pod: Pod,
  spec: ContainerSpec,
  namespaces: NamespaceOption,
): LinuxContainerSecurityContext {
  const sc = effectiveSecurityContext(pod, spec);
  const podSc = pod.spec?.securityContext ?? {};
  const groups = [
    ...(podSc.fsGroup !== undefined ? [podSc.fsGroup] : []),
    ...(podSc.supplementalGroups ?? []),
  ];
  const unmasked = sc.procMount === 'Unmasked';
  const seccompType = sc.seccompProfile?.type;
  return {
    namespaceOptions: { ...namespaces },
    ...(sc.runAsUser !== undefined ? { runAsUser: { value: sc.runAsUser } } : {}),
    ...(sc.runAsGroup !== undefined ? { runAsGroup: { value: sc.runAsGroup } } : {}),
    privileged: sc.privileged ?? false,
    readonlyRootfs: sc.readOnlyRootFilesystem ?? false,
    ...(sc.capabilities
      ? {
          capabilities: {
            addCapabilities: sc.capabilities.add ?? [],
            dropCapabilities: sc.capabilities.drop ?? [],
          },
        }
      : {}),
    // no_new_privs only when privilege escalation is explicitly disallowed.
    noNewPrivs: sc.allowPrivilegeEscalation === false,
    ...(groups.length > 0 ? { supplementalGroups: groups } : {}),
    maskedPaths: unmasked ? [] : MASKED_PATHS,
    readonlyPaths: unmasked ? [] : READONLY_PATHS,
    ...(seccompType === 'RuntimeDefault' || seccompType === 'Unconfined'
      ? { seccomp: { profileType: seccompType } }
      : {}),
    ...(sc.seLinuxOptions ? { selinuxOptions: { ...sc.seLinuxOptions } } : {}),
  };
}

/**
 * The CRI config of one attempt of a container: command and args with `$(VAR)` expanded from its
 * environment, resources, security context. Throws WaitingError for a runAsNonRoot violation.
 */
export function buildContainerConfig(i: ContainerConfigInput): ContainerConfig {
  const { pod, spec, attempt } = i;
  verifyRunAsNonRoot(pod, i.uid, spec, i.imageUser);
  const lookup = envLookup(i.envs);
  const expand = (list: string[] | undefined) => (list ?? []).map((s) => expandVars(s, lookup));
  return {
    metadata: { name: spec.name, attempt },
    image: { image: spec.image ?? '' },
    command: expand(spec.command),
    args: expand(spec.args),
    workingDir: spec.workingDir ?? '',
    envs: i.envs,
    mounts: i.mounts,
    labels: {
      [CONTAINER_NAME_LABEL]: spec.name,
      [POD_NAME_LABEL]: pod.metadata?.name ?? '',
      [POD_NAMESPACE_LABEL]: pod.metadata?.namespace ?? '',
      [POD_UID_LABEL]: i.uid,
    },
    annotations: {
      'io.kubernetes.container.restartCount': String(attempt),
      'io.kubernetes.container.terminationMessagePath': spec.terminationMessagePath || '/dev/termination-log',
      'io.kubernetes.container.terminationMessagePolicy': spec.terminationMessagePolicy || 'File',
    },
    logPath: `${spec.name}/${attempt}.log`,
    stdin: spec.stdin ?? false,
    stdinOnce: spec.stdinOnce ?? false,
    tty: spec.tty ?? false,
    linux: {
      resources: linuxContainerResources(pod, spec, i.memoryCapacityBytes ?? os.totalmem()),
      securityContext: linuxContainerSecurityContext(pod, spec, i.namespaces),
    },
  };
}
