import type { Pod } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../../api/object.js';

/**
 * Pods nominated to a node by preemption (status.nominatedNodeName) and not yet bound. Other
 * pods of no higher priority are filtered as if the nominated ones already ran there, so the
 * room preemption made is not taken by someone else.
 */
export class Nominator {
  private readonly byNode = new Map<string, Map<string, Pod>>();
  private readonly nodeOf = new Map<string, string>();

  /**
   * Follows a pod from the informer: nominated while unbound with status.nominatedNodeName. An
   * update that carries no nominatedNodeName before or after (one written before ours landed)
   * keeps the nomination made in memory, as upstream.
   */
  fromPod(pod: Pod, old?: Pod): void {
    const key = keyOf(pod);
    const active = !pod.spec?.nodeName && !pod.metadata?.deletionTimestamp;
    let node = pod.status?.nominatedNodeName;
    if (!node && old && !old.status?.nominatedNodeName) node = this.nodeOf.get(key);
    if (node && active) this.nominate(pod, node);
    else this.delete(key);
  }

  nominate(pod: Pod, node: string): void {
    const key = keyOf(pod);
    this.delete(key);
    let pods = this.byNode.get(node);
    if (!pods) {
      pods = new Map();
      this.byNode.set(node, pods);
    }
    pods.set(key, pod);
    this.nodeOf.set(key, node);
  }

  delete(key: string): void {
    const node = this.nodeOf.get(key);
    if (node === undefined) return;
    this.nodeOf.delete(key);
    const pods = this.byNode.get(node);
    pods?.delete(key);
    if (pods?.size === 0) this.byNode.delete(node);
  }

  nodeOfPod(key: string): string | undefined {
    return this.nodeOf.get(key);
  }

  /** Pods nominated to the node. */
  podsOn(node: string): Pod[] {
    const pods = this.byNode.get(node);
    return pods ? [...pods.values()] : [];
  }

  get size(): number {
    return this.nodeOf.size;
  }
}
