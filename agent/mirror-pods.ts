import type { Node, Pod, PodStatus } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../api/errors.js';
import type { ApiClient } from '../client/rest-client.js';
import { PODS } from './resources.js';
import { CONFIG_HASH_ANNOTATION, CONFIG_MIRROR_ANNOTATION } from './static-pods.js';

const NODES = { group: '', version: 'v1', plural: 'nodes', namespaced: false } as const;

const keyOf = (p: Pod) => `${p.metadata?.namespace}/${p.metadata?.name}`;

/**
 * Mirror pods: the API's read-only view of this node's static pods. Each static pod gets a
 * pod of the same name carrying its config hash in kubernetes.io/config.mirror, owned by the
 * Node; a mirror whose hash is stale, or whose static pod is gone, is deleted (and recreated).
 */
export class MirrorPods {
  private nodeUid: string | undefined;
  /** Per mirror uid: the status last written, so unchanged statuses are not written again. */
  private readonly written = new Map<string, string>();

  constructor(
    private readonly api: ApiClient,
    private readonly nodeName: string,
    private readonly log: Logger,
  ) {}

  /** Brings the mirrors among `apiPods` (this node's pods in the API) in line with `staticPods`. */
  async sync(staticPods: Iterable<Pod>, apiPods: Pod[]): Promise<void> {
    const mirrors = new Map(
      apiPods
        .filter((p) => p.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] !== undefined)
        .map((p) => [keyOf(p), p]),
    );
    for (const pod of staticPods) {
      const key = keyOf(pod);
      const mirror = mirrors.get(key);
      mirrors.delete(key);
      const hash = pod.metadata?.annotations?.[CONFIG_HASH_ANNOTATION] ?? '';
      if (
        mirror &&
        mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] === hash &&
        !mirror.metadata?.deletionTimestamp
      )
        continue;
      if (mirror) await this.remove(mirror);
      await this.create(pod, hash);
    }
    for (const stale of mirrors.values()) await this.remove(stale);
  }

  /** Writes the static pod's status to its mirror; false when there is no mirror (yet). */
  async writeStatus(mirror: Pod | undefined, status: PodStatus): Promise<boolean> {
    if (!mirror || mirror.metadata?.deletionTimestamp) return false;
    const uid = mirror.metadata?.uid ?? '';
    const json = JSON.stringify(status);
    if (this.written.get(uid) === json) return true;
    try {
      await this.api.updateStatus<Pod>(PODS, { ...mirror, status });
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return false;
      if (!isStatusError(e, 'Conflict')) throw e;
      const fresh = await this.api.get<Pod>(PODS, mirror.metadata?.name ?? '', {
        namespace: mirror.metadata?.namespace,
      });
      await this.api.updateStatus<Pod>(PODS, { ...fresh, status });
    }
    this.written.set(uid, json);
    return true;
  }

  private async owner(): Promise<string | undefined> {
    if (!this.nodeUid) {
      const node = await this.api.get<Node>(NODES, this.nodeName).catch(() => undefined);
      this.nodeUid = node?.metadata?.uid;
    }
    return this.nodeUid;
  }

  private async create(pod: Pod, hash: string): Promise<void> {
    const nodeUid = await this.owner();
    // As upstream, a mirror pod is owned by its Node: wait (next sync) until the Node is registered.
    if (!nodeUid) return;
    const meta = pod.metadata ?? {};
    const mirror: Pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: meta.name,
        namespace: meta.namespace,
        labels: meta.labels,
        annotations: { ...meta.annotations, [CONFIG_MIRROR_ANNOTATION]: hash },
        ownerReferences: [
          { apiVersion: 'v1', kind: 'Node', name: this.nodeName, uid: nodeUid, controller: true },
        ],
      },
      spec: pod.spec,
    };
    try {
      await this.api.create<Pod>(PODS, mirror, { namespace: meta.namespace });
      this.log.info({ pod: keyOf(pod) }, 'mirror pod created');
    } catch (e) {
      // AlreadyExists: a deleted mirror not gone yet, or an API pod of that name; retried next sync.
      this.log.warn(
        { pod: keyOf(pod), err: e instanceof Error ? e.message : String(e) },
        'mirror pod not created',
      );
    }
  }

  private async remove(mirror: Pod): Promise<void> {
    try {
      await this.api.delete(PODS, mirror.metadata?.name ?? '', {
        namespace: mirror.metadata?.namespace,
        gracePeriodSeconds: 0,
        preconditions: { uid: mirror.metadata?.uid },
      });
      this.written.delete(mirror.metadata?.uid ?? '');
      this.log.info({ pod: keyOf(mirror) }, 'mirror pod deleted');
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }
}
