import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../api/object.js';
import { tryParseQuantity } from '../../api/quantity.js';
import {
  addResources,
  emptyResources,
  podRequests,
  type Resources,
  resourcesFromList,
} from '../../api/scheduling/resource-fit.js';

/** A host port in use: `protocol/hostIP/port`, hostIP 0.0.0.0 when unset. */
export interface HostPort {
  protocol: string;
  hostIP: string;
  port: number;
}

export const ANY_IP = '0.0.0.0';
const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});

export function podHostPorts(pod: Pod): HostPort[] {
  const out: HostPort[] = [];
  const all = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  for (const c of all) {
    for (const p of c.ports ?? []) {
      if (!p.hostPort || p.hostPort <= 0) continue;
      out.push({ protocol: p.protocol ?? 'TCP', hostIP: p.hostIP || ANY_IP, port: p.hostPort });
    }
  }
  return out;
}

export interface PodEntry {
  pod: Pod;
  requests: Resources;
  nonZero: Resources;
  ports: HostPort[];
  /** Has affinity terms that weigh in other pods' scores: pod affinity, or preferred anti-affinity. */
  affinity: boolean;
  /** Has required pod anti-affinity. */
  requiredAntiAffinity: boolean;
}

function hasScoringAffinity(pod: Pod): boolean {
  const a = pod.spec?.affinity;
  return (
    (a?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
    (a?.podAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0 ||
    (a?.podAntiAffinity?.preferredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0
  );
}

/** A topology pair as one map key: label key and value joined by a character labels cannot hold. */
export function pairKey(key: string, value: string): string {
  return `${key}\u0000${value}`;
}

function hasRequiredAntiAffinity(pod: Pod): boolean {
  return (
    (pod.spec?.affinity?.podAntiAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.length ?? 0) > 0
  );
}

/** A node and what is counted on it: pods (bound or assumed), their requests, the host ports they hold. */
export class NodeInfo {
  readonly pods = new Map<string, PodEntry>();
  readonly requested: Resources = emptyResources();
  /** Requests with upstream's non-zero defaults, used by scores. */
  readonly nonZeroRequested: Resources = emptyResources();
  allocatable: Resources = emptyResources();
  allowedPods = 0;
  /** The node's labels (never undefined). */
  labels: Readonly<Record<string, string>> = NO_LABELS;
  /** Images the node reports (status.images), every name, with their size in bytes. */
  images = new Map<string, number>();
  /** Every label as a topology pair key (see pairKey). */
  labelPairs: string[] = [];
  /** Pods whose affinity weighs in others' scores, and those with required anti-affinity: lets plugins skip most nodes. */
  podsWithAffinity = 0;
  podsWithRequiredAntiAffinity = 0;
  /** Bumped on every change; lets callers see whether the node changed. */
  generation = 0;
  private portCount = new Map<string, number>();
  private memoGeneration = -1;
  private memos = new Map<string, number>();

  constructor(public node: Node) {
    this.setNode(node);
  }

  /** An independent copy, for what-if evaluations (nominated pods, preemption). */
  clone(): NodeInfo {
    const c = new NodeInfo(this.node);
    for (const [k, e] of this.pods) c.addEntry(k, e);
    return c;
  }

  get name(): string {
    return this.node.metadata?.name ?? '';
  }

  setNode(node: Node): void {
    this.node = node;
    this.labels = node.metadata?.labels ?? NO_LABELS;
    this.labelPairs = Object.entries(this.labels).map(([k, v]) => pairKey(k, v));
    const alloc = node.status?.allocatable ?? node.status?.capacity;
    this.allocatable = resourcesFromList(alloc);
    this.allowedPods = tryParseQuantity(alloc?.pods)?.value() ?? 0;
    this.images = new Map();
    for (const img of node.status?.images ?? []) {
      for (const name of img.names ?? []) this.images.set(name, img.sizeBytes ?? 0);
    }
    this.generation++;
  }

  addPod(pod: Pod): void {
    this.addEntry(keyOf(pod), {
      pod,
      requests: podRequests(pod.spec),
      nonZero: podRequests(pod.spec, true),
      ports: podHostPorts(pod),
      affinity: hasScoringAffinity(pod),
      requiredAntiAffinity: hasRequiredAntiAffinity(pod),
    });
  }

  private addEntry(key: string, entry: PodEntry): void {
    if (this.pods.has(key)) this.removePod(key);
    this.pods.set(key, entry);
    if (entry.affinity) this.podsWithAffinity++;
    if (entry.requiredAntiAffinity) this.podsWithRequiredAntiAffinity++;
    addResources(this.requested, entry.requests);
    addResources(this.nonZeroRequested, entry.nonZero);
    for (const p of entry.ports) {
      const k = portKey(p);
      this.portCount.set(k, (this.portCount.get(k) ?? 0) + 1);
    }
    this.generation++;
  }

  removePod(key: string): boolean {
    const entry = this.pods.get(key);
    if (!entry) return false;
    this.pods.delete(key);
    if (entry.affinity) this.podsWithAffinity--;
    if (entry.requiredAntiAffinity) this.podsWithRequiredAntiAffinity--;
    addResources(this.requested, entry.requests, -1);
    addResources(this.nonZeroRequested, entry.nonZero, -1);
    for (const p of entry.ports) {
      const k = portKey(p);
      const n = (this.portCount.get(k) ?? 1) - 1;
      if (n <= 0) this.portCount.delete(k);
      else this.portCount.set(k, n);
    }
    this.generation++;
    return true;
  }

  /** A number derived from the node's pods (a match count), kept until the node changes. */
  memo(key: string, compute: () => number): number {
    if (this.memoGeneration !== this.generation) {
      this.memos.clear();
      this.memoGeneration = this.generation;
    }
    let v = this.memos.get(key);
    if (v === undefined) {
      v = compute();
      this.memos.set(key, v);
    }
    return v;
  }

  /** Whether a wanted host port clashes with one in use; 0.0.0.0 clashes with every address. */
  portConflicts(want: HostPort): boolean {
    if (want.hostIP === ANY_IP) {
      for (const k of this.portCount.keys()) {
        const [protocol, , port] = k.split('/');
        if (protocol === want.protocol && Number(port) === want.port) return true;
      }
      return false;
    }
    return this.portCount.has(portKey(want)) || this.portCount.has(portKey({ ...want, hostIP: ANY_IP }));
  }
}

function portKey(p: HostPort): string {
  return `${p.protocol}/${p.hostIP}/${p.port}`;
}
