import type { Pod } from 'kubernetes-types/core/v1.js';
import { type CycleState, type Handle, MAX_NODE_SCORE, type Plugin } from '../framework.js';
import type { NodeInfo } from '../node-info.js';

const MB = 1024 * 1024;
/** Below this sum every node scores 0, so that tiny images do not decide placement. */
export const MIN_THRESHOLD = 23 * MB;
/** Per container: sums above it score 100. */
export const MAX_CONTAINER_THRESHOLD = 1000 * MB;

/** An image reference without tag or digest means `:latest`, as the node reports it. */
export function normalizedImageName(name: string): string {
  return name.lastIndexOf(':') <= name.lastIndexOf('/') ? `${name}:latest` : name;
}

function podImages(pod: Pod, state: CycleState): string[] {
  return state.memo('ImageLocality/images', () =>
    [...(pod.spec?.initContainers ?? []), ...(pod.spec?.containers ?? [])].map((c) =>
      normalizedImageName(c.image ?? ''),
    ),
  );
}

/**
 * Prefers nodes that already hold the pod's images: the sum of their sizes, each scaled by the
 * share of nodes holding it (so a node is not favoured for an image every node has), mapped
 * between 23 MB and 1000 MB per container, as upstream's ImageLocality.
 */
export class ImageLocality implements Plugin {
  readonly name = 'ImageLocality';

  constructor(private readonly handle: Handle) {}

  score(pod: Pod, node: NodeInfo, state: CycleState): number {
    const images = podImages(pod, state);
    if (images.length === 0 || node.images.size === 0) return 0;
    const total = this.handle.nodeInfos().length;
    let sum = 0;
    for (const image of images) {
      const size = node.images.get(image);
      if (size === undefined || total === 0) continue;
      sum += size * (this.handle.imageNodeCount(image) / total);
    }
    const max = MAX_CONTAINER_THRESHOLD * images.length;
    const clamped = Math.min(Math.max(sum, MIN_THRESHOLD), max);
    return Math.floor((MAX_NODE_SCORE * (clamped - MIN_THRESHOLD)) / (max - MIN_THRESHOLD));
  }
}
