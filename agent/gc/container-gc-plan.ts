import type { Container, PodSandbox } from '../../shim/index.js';
import { CONTAINER_NAME_LABEL, POD_UID_LABEL } from '../labels.js';

/** Upstream's container GC policy (kubelet --minimum-container-ttl-duration etc.). */
export interface ContainerGcPolicy {
  /** Dead containers younger than this (by creation time) are kept. */
  minAgeMs: number;
  /** Dead containers kept per (pod, container name); -1 = no limit. */
  maxPerPodContainer: number;
  /** Dead containers kept on the node in all; -1 = no limit. */
  maxContainers: number;
}

/** Upstream's defaults: MinAge 0, MaxPerPodContainer 1, MaxContainers -1. */
export const DEFAULT_CONTAINER_GC_POLICY: Readonly<ContainerGcPolicy> = {
  minAgeMs: 0,
  maxPerPodContainer: 1,
  maxContainers: -1,
};

/** Whether the pod with this uid still exists for the kubelet (API pods and static pods). */
export type IsPodKnown = (uid: string) => boolean;

export interface PlanInput {
  policy: ContainerGcPolicy;
  isPodKnown: IsPodKnown;
  /**
   * Whether every pod source (the API informer, the manifest directory) has been read once.
   * Before that, an unknown pod may just not be loaded yet: nothing is removed for being gone.
   */
  sourcesReady: boolean;
  nowMs: number;
}

const uidOf = (c: { labels: Record<string, string> }): string | undefined => c.labels[POD_UID_LABEL];
const createdNs = (x: { createdAt: string }): bigint => BigInt(x.createdAt || '0');
const attemptOf = (c: Container): number => c.metadata?.attempt ?? 0;

/** Newest first: by creation time, then by attempt. */
function newestFirst(a: Container, b: Container): number {
  const d = createdNs(b) - createdNs(a);
  if (d !== 0n) return d > 0n ? 1 : -1;
  return attemptOf(b) - attemptOf(a);
}

/** The (pod uid, container name) an attempt belongs to: upstream's evict unit. */
export function unitOf(c: Container): string | undefined {
  const uid = uidOf(c);
  const name = c.labels[CONTAINER_NAME_LABEL] ?? c.metadata?.name;
  return uid && name ? `${uid}/${name}` : undefined;
}

/**
 * The dead containers to remove, as upstream's container GC picks them. Only containers the
 * kubelet made (pod uid and container name labels) are considered; running ones never are.
 * Unlike upstream, a CREATED container of a known pod is kept too: the pod worker starts it a
 * moment later, and counting it would remove the attempt that holds the container's lastState.
 * Each unit's attempts come newest first.
 */
export function planContainerRemoval(containers: readonly Container[], input: PlanInput): Container[] {
  const { policy, isPodKnown, sourcesReady } = input;
  const newestGcNs = BigInt(Math.floor(input.nowMs - policy.minAgeMs)) * 1_000_000n;
  const gone = (uid: string) => sourcesReady && !isPodKnown(uid);
  const units = new Map<string, Container[]>();
  for (const c of containers) {
    const unit = unitOf(c);
    if (!unit || c.state === 'CONTAINER_RUNNING') continue;
    if (c.state === 'CONTAINER_CREATED' && !gone(uidOf(c) ?? '')) continue;
    if (createdNs(c) > newestGcNs) continue;
    const list = units.get(unit) ?? [];
    list.push(c);
    units.set(unit, list);
  }
  for (const list of units.values()) list.sort(newestFirst);

  const remove: Container[] = [];
  // Pods that are gone lose all their dead containers.
  for (const [unit, list] of units) {
    if (!gone(uidOf(list[0] as Container) ?? '')) continue;
    remove.push(...list);
    units.delete(unit);
  }
  const keepPerUnit = (n: number) => {
    for (const list of units.values()) if (list.length > n) remove.push(...list.splice(n));
  };
  if (policy.maxPerPodContainer >= 0) keepPerUnit(policy.maxPerPodContainer);
  if (policy.maxContainers >= 0) {
    const total = () => [...units.values()].reduce((n, l) => n + l.length, 0);
    if (total() > policy.maxContainers) {
      // First an even share per unit (at least one each), then the oldest on the node.
      keepPerUnit(Math.max(1, Math.floor(policy.maxContainers / Math.max(1, units.size))));
      const rest = [...units.values()].flat().sort(newestFirst);
      if (rest.length > policy.maxContainers) remove.push(...rest.slice(policy.maxContainers));
    }
  }
  return remove;
}

/**
 * The sandboxes to remove (upstream's evictSandboxes): only inactive ones, not READY and with
 * no container left. A gone pod loses all of them; a known pod keeps its newest sandbox even
 * when inactive. `containers` must be listed after the dead containers were removed.
 */
export function planSandboxRemoval(
  sandboxes: readonly PodSandbox[],
  containers: readonly Container[],
  input: Omit<PlanInput, 'policy' | 'nowMs'>,
): PodSandbox[] {
  const withContainers = new Set(containers.map((c) => c.podSandboxId));
  const byPod = new Map<string, PodSandbox[]>();
  for (const s of sandboxes) {
    const uid = s.metadata?.uid || uidOf(s);
    if (!uid) continue;
    const list = byPod.get(uid) ?? [];
    list.push(s);
    byPod.set(uid, list);
  }
  const remove: PodSandbox[] = [];
  for (const [uid, list] of byPod) {
    list.sort((a, b) => {
      const d = createdNs(b) - createdNs(a);
      return d === 0n ? 0 : d > 0n ? 1 : -1;
    });
    const gone = input.sourcesReady && !input.isPodKnown(uid);
    for (const [i, s] of list.entries()) {
      if (i === 0 && !gone) continue;
      if (s.state !== 'SANDBOX_READY' && !withContainers.has(s.id)) remove.push(s);
    }
  }
  return remove;
}
