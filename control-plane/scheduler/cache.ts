import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../api/object.js';
import { NodeInfo } from './node-info.js';

interface PodState {
  pod: Pod;
  nodeName: string;
  /** Placed by us, binding not yet seen through the informer. */
  assumed: boolean;
}

const ZONE_LABEL = 'topology.kubernetes.io/zone';
const REGION_LABEL = 'topology.kubernetes.io/region';

function zoneOf(node: Node): string {
  const l = node.metadata?.labels ?? {};
  return `${l[REGION_LABEL] ?? ''}:${l[ZONE_LABEL] ?? ''}`;
}

function interleaveZones(infos: NodeInfo[]): NodeInfo[] {
  const zones = new Map<string, NodeInfo[]>();
  for (const info of infos) {
    const z = zoneOf(info.node);
    const list = zones.get(z);
    if (list) list.push(info);
    else zones.set(z, [info]);
  }
  if (zones.size <= 1) return infos;
  const out: NodeInfo[] = [];
  const lists = [...zones.values()];
  for (let i = 0; out.length < infos.length; i++) {
    for (const list of lists) if (i < list.length) out.push(list[i]);
  }
  return out;
}

export function isTerminal(pod: Pod): boolean {
  return pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed';
}

/**
 * What the scheduler believes runs where: node infos from the node informer, pods counted on
 * their spec.nodeName (terminal pods are not counted), plus pods assumed on a node between the
 * decision and the informer reporting the binding, so a burst does not overcommit a node.
 */
export class SchedulerCache {
  private readonly nodes = new Map<string, NodeInfo>();
  /** Pods counted (or waiting to be counted) on a node, by key. */
  private readonly pods = new Map<string, PodState>();
  /** Keys of pods bound to nodes not known (yet), by node name. */
  private readonly waiting = new Map<string, Set<string>>();
  private list: NodeInfo[] | undefined;
  /** How many nodes report each image name. */
  private readonly imageNodes = new Map<string, number>();
  /** Names of changed nodes (pods or the node itself), in order: lets plugins update aggregates. */
  private log: string[] = [];
  /** The change number of log[0]. */
  private logBase = 0;
  private readonly withAffinity = new Set<NodeInfo>();
  private readonly withRequiredAntiAffinity = new Set<NodeInfo>();
  private affinityList: NodeInfo[] | undefined;
  private antiAffinityList: NodeInfo[] | undefined;

  /**
   * Node infos with zones interleaved (one node of each zone in turn, as upstream's node tree),
   * so that a sample of the first nodes spans every zone. Stable between changes; shared: do
   * not modify.
   */
  nodeInfos(): readonly NodeInfo[] {
    this.list ??= interleaveZones([...this.nodes.values()]);
    return this.list;
  }

  nodeInfo(name: string): NodeInfo | undefined {
    return this.nodes.get(name);
  }

  get nodeCount(): number {
    return this.nodes.size;
  }

  /** A number that grows with every change to any node or its pods. */
  get changeSeq(): number {
    return this.logBase + this.log.length;
  }

  /** Nodes changed since `seq` (with repeats); undefined when the log no longer reaches back. */
  changedSince(seq: number): readonly string[] | undefined {
    if (seq < this.logBase) return undefined;
    return this.log.slice(seq - this.logBase);
  }

  /** Nodes holding pods whose affinity weighs in scores (pod affinity, preferred anti-affinity). */
  nodesWithAffinity(): readonly NodeInfo[] {
    this.affinityList ??= [...this.withAffinity];
    return this.affinityList;
  }

  /** Nodes holding pods with required pod anti-affinity. */
  nodesWithRequiredAntiAffinity(): readonly NodeInfo[] {
    this.antiAffinityList ??= [...this.withRequiredAntiAffinity];
    return this.antiAffinityList;
  }

  private touched(name: string): void {
    this.log.push(name);
    if (this.log.length > 200_000) {
      this.log = this.log.slice(100_000);
      this.logBase += 100_000;
    }
    const info = this.nodes.get(name);
    if (info) this.trackAffinity(info);
  }

  private trackAffinity(info: NodeInfo, gone = false): void {
    const track = (set: Set<NodeInfo>, has: boolean): boolean => {
      if (has === set.has(info)) return false;
      if (has) set.add(info);
      else set.delete(info);
      return true;
    };
    if (track(this.withAffinity, !gone && info.podsWithAffinity > 0)) this.affinityList = undefined;
    if (track(this.withRequiredAntiAffinity, !gone && info.podsWithRequiredAntiAffinity > 0))
      this.antiAffinityList = undefined;
  }

  imageNodeCount(image: string): number {
    return this.imageNodes.get(image) ?? 0;
  }

  setNode(node: Node): void {
    const name = node.metadata?.name ?? '';
    const info = this.nodes.get(name);
    if (info) {
      if (zoneOf(info.node) !== zoneOf(node)) this.list = undefined;
      this.countImages(info, -1);
      info.setNode(node);
      this.countImages(info, 1);
      this.touched(name);
      return;
    }
    const created = new NodeInfo(node);
    for (const key of this.waiting.get(name) ?? []) {
      const s = this.pods.get(key);
      if (s) created.addPod(s.pod);
    }
    this.waiting.delete(name);
    this.nodes.set(name, created);
    this.countImages(created, 1);
    this.list = undefined;
    this.touched(name);
  }

  removeNode(name: string): void {
    const info = this.nodes.get(name);
    if (!info) return;
    this.countImages(info, -1);
    this.trackAffinity(info, true);
    this.nodes.delete(name);
    for (const key of info.pods.keys()) this.wait(name, key);
    this.list = undefined;
    this.touched(name);
  }

  private countImages(info: NodeInfo, delta: number): void {
    for (const image of info.images.keys()) {
      const n = (this.imageNodes.get(image) ?? 0) + delta;
      if (n <= 0) this.imageNodes.delete(image);
      else this.imageNodes.set(image, n);
    }
  }

  /** A pod seen through the informer (assigned or not). */
  setPod(pod: Pod): void {
    const key = keyOf(pod);
    const nodeName = pod.spec?.nodeName ?? '';
    const prev = this.pods.get(key);
    if (!nodeName || isTerminal(pod)) {
      // Unassigned pods count nowhere, except an assumed one waiting for its binding to show.
      if (prev && !(prev.assumed && !nodeName)) this.removePod(key);
      return;
    }
    if (prev && this.nodes.get(prev.nodeName)?.removePod(key)) this.touched(prev.nodeName);
    this.pods.set(key, { pod, nodeName, assumed: false });
    this.addTo(nodeName, pod);
  }

  private addTo(nodeName: string, pod: Pod): void {
    const info = this.nodes.get(nodeName);
    if (!info) {
      this.wait(nodeName, keyOf(pod));
      return;
    }
    info.addPod(pod);
    this.touched(nodeName);
  }

  /** Remembers a pod bound to a node not known yet, so it counts once the node appears. */
  private wait(nodeName: string, key: string): void {
    let keys = this.waiting.get(nodeName);
    if (!keys) {
      keys = new Set();
      this.waiting.set(nodeName, keys);
    }
    keys.add(key);
  }

  removePod(key: string): void {
    const prev = this.pods.get(key);
    if (!prev) return;
    this.pods.delete(key);
    const waiting = this.waiting.get(prev.nodeName);
    if (waiting?.delete(key) && waiting.size === 0) this.waiting.delete(prev.nodeName);
    if (this.nodes.get(prev.nodeName)?.removePod(key)) this.touched(prev.nodeName);
  }

  /** Counts the pod on `nodeName` now, before the binding is written. */
  assume(pod: Pod, nodeName: string): void {
    const key = keyOf(pod);
    const placed: Pod = { ...pod, spec: { ...(pod.spec ?? { containers: [] }), nodeName } };
    this.removePod(key);
    this.pods.set(key, { pod: placed, nodeName, assumed: true });
    this.addTo(nodeName, placed);
  }

  /** The binding failed: stop counting an assumed pod. */
  forget(pod: Pod): void {
    const key = keyOf(pod);
    if (this.pods.get(key)?.assumed) this.removePod(key);
  }

  isAssumed(key: string): boolean {
    return this.pods.get(key)?.assumed ?? false;
  }
}
