import { isDeepStrictEqual } from 'node:util';
import type { DaemonSet, DaemonSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { compareStrings } from '../../api/compare-strings.js';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf, controllerRefTo } from './controller-ref.js';
import { targetNodeName, withNodeNameAffinity } from './daemon-node-affinity.js';
import { REVISION_HASH_LABEL, type RevisionObject, syncDaemonSetHistory } from './daemonset-history.js';
import { Expectations } from './expectations.js';
import { OWNER_UID_INDEX } from './informer-factory.js';
import { daemonPlacement, withDaemonTolerations } from './node-eligibility.js';
import { enqueueControllersOfPods, enqueueOwners } from './owned-pod-events.js';
import { PodControl } from './pod-control.js';
import { isPodAvailable, isPodReady } from './pod-state.js';
import { podTemplateHash } from './pod-template-hash.js';
import type { PodObject } from './replicaset-controller.js';
import { CONTROLLER_REVISIONS, DAEMON_SETS, NODES, PODS } from './resources.js';
import { scaledValue } from './rollout-math.js';

export type DaemonSetObject = DaemonSet & KubeObject;
type NodeObject = Node & KubeObject;

function byCreation(a: PodObject, b: PodObject): number {
  return compareStrings(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? '');
}

/**
 * Runs one pod of each DaemonSet on every node it fits (node selector, required node affinity,
 * taints with the daemon tolerations), and replaces pods of an old template at most
 * maxUnavailable at a time (RollingUpdate) or only when deleted (OnDelete). Pods are created
 * unbound with a node-name affinity and bound by the default scheduler, as upstream; a pod on a
 * node that gained an untolerated NoSchedule taint stays, one with an untolerated NoExecute goes.
 */
export class DaemonSetController {
  constructor(
    private readonly d: {
      daemonSets: Store<DaemonSetObject>;
      pods: Store<PodObject>;
      nodes: Store<NodeObject>;
      revisions: Store<RevisionObject>;
      api: ApiClient;
      expectations: Expectations;
      events: EventRecorder;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
    },
  ) {
    this.pods = new PodControl(d);
  }

  private readonly pods: PodControl;

  async sync(key: string): Promise<void> {
    const ds = this.d.daemonSets.get(key);
    if (!ds) {
      this.d.expectations.forget(key);
      return;
    }
    const now = this.d.clock.now();
    const hash = podTemplateHash(ds.spec?.template, ds.status?.collisionCount);
    const byNode = new Map<string, PodObject[]>();
    for (const pod of this.d.pods.byIndex(OWNER_UID_INDEX, ds.metadata.uid ?? '')) {
      if (controllerRefOf(pod)?.uid !== ds.metadata.uid || pod.metadata.deletionTimestamp) continue;
      // Bound or not yet: a daemon pod names its node in spec.nodeName or its node affinity.
      const node = targetNodeName(pod);
      if (node === undefined) {
        this.d.log.warn({ pod: keyOf(pod) }, 'daemon pod has no target node, ignored');
        continue;
      }
      byNode.set(node, [...(byNode.get(node) ?? []), pod]);
    }
    const nodes = this.d.nodes.list();
    const eligible = new Set<string>();
    const mayStay = new Set<string>();
    for (const n of nodes) {
      const placement = daemonPlacement(ds.spec?.template?.spec, n);
      if (placement.shouldRun) eligible.add(n.metadata.name ?? '');
      if (placement.shouldContinueRunning) mayStay.add(n.metadata.name ?? '');
    }

    if (!ds.metadata.deletionTimestamp) {
      const inUse = new Set(
        [...byNode.values()].flat().map((p) => p.metadata.labels?.[REVISION_HASH_LABEL] ?? ''),
      );
      await syncDaemonSetHistory(this.d.api, this.d.revisions, ds, hash, inUse);
    }
    if (this.d.expectations.satisfied(key) && !ds.metadata.deletionTimestamp) {
      const create: string[] = [];
      const remove: PodObject[] = [];
      for (const node of nodes) {
        const name = node.metadata.name ?? '';
        const pods = (byNode.get(name) ?? []).sort(byCreation);
        const failed = pods.filter((p) => p.status?.phase === 'Failed');
        remove.push(...failed);
        const running = pods.filter((p) => p.status?.phase !== 'Failed');
        if (!mayStay.has(name)) remove.push(...running);
        else if (running.length === 0) {
          if (eligible.has(name)) create.push(name);
        } else remove.push(...running.slice(1));
      }
      for (const [node, pods] of byNode)
        if (!nodes.some((n) => n.metadata.name === node)) remove.push(...pods);
      remove.push(...this.rollingUpdateVictims(ds, byNode, eligible, hash, now, remove));
      await this.act(key, ds, hash, create, remove);
    }
    await this.writeStatus(ds, byNode, eligible, hash, now);
  }

  /** Old-template pods to delete now without exceeding maxUnavailable nodes. */
  private rollingUpdateVictims(
    ds: DaemonSetObject,
    byNode: Map<string, PodObject[]>,
    eligible: Set<string>,
    hash: string,
    now: number,
    alreadyRemoved: PodObject[],
  ): PodObject[] {
    if ((ds.spec?.updateStrategy?.type ?? 'RollingUpdate') !== 'RollingUpdate') return [];
    const minReady = ds.spec?.minReadySeconds ?? 0;
    const maxUnavailable = Math.max(
      1,
      scaledValue(ds.spec?.updateStrategy?.rollingUpdate?.maxUnavailable ?? 1, eligible.size, true),
    );
    const removed = new Set(alreadyRemoved);
    let unavailable = 0;
    const oldAvailable: PodObject[] = [];
    const victims: PodObject[] = [];
    for (const node of eligible) {
      const pod = (byNode.get(node) ?? []).find((p) => !removed.has(p) && p.status?.phase !== 'Failed');
      if (!pod) {
        unavailable++;
        continue;
      }
      const available = isPodAvailable(pod, minReady, now);
      const old = pod.metadata.labels?.[REVISION_HASH_LABEL] !== hash;
      if (!available) {
        unavailable++;
        if (old) victims.push(pod); // an old pod that is down anyway goes at once
      } else if (old) oldAvailable.push(pod);
    }
    for (const pod of oldAvailable.sort(byCreation)) {
      if (unavailable >= maxUnavailable) break;
      victims.push(pod);
      unavailable++;
    }
    return victims;
  }

  private async act(
    key: string,
    ds: DaemonSetObject,
    hash: string,
    create: string[],
    remove: PodObject[],
  ): Promise<void> {
    const unique = [...new Set(remove)];
    if (create.length === 0 && unique.length === 0) return;
    this.d.expectations.expectCreations(key, create.length);
    const errors: unknown[] = [];
    await Promise.all(
      create.map(async (node) => {
        try {
          await this.createPod(ds, hash, node);
        } catch (e) {
          this.d.expectations.creationObserved(key);
          errors.push(e);
        }
      }),
    );
    for (const pod of unique) {
      try {
        await this.pods.delete(ds, pod);
      } catch (e) {
        errors.push(e);
      }
    }
    if (errors.length > 0) throw errors[0];
  }

  private async createPod(ds: DaemonSetObject, hash: string, node: string): Promise<void> {
    const template = ds.spec?.template;
    const spec = structuredClone(template?.spec ?? { containers: [] }) as NonNullable<PodObject['spec']>;
    spec.tolerations = withDaemonTolerations(spec);
    // Left to the default scheduler (upstream's ScheduleDaemonSetPods), pinned to its node by affinity.
    spec.affinity = withNodeNameAffinity(spec.affinity, node);
    const pod: PodObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${ds.metadata.name}-`,
        namespace: ds.metadata.namespace,
        labels: { ...(template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
        annotations: { ...(template?.metadata?.annotations ?? {}) },
        ownerReferences: [controllerRefTo(ds, 'apps/v1', 'DaemonSet')],
      },
      spec,
    };
    await this.pods.create(ds, pod);
  }

  private async writeStatus(
    ds: DaemonSetObject,
    byNode: Map<string, PodObject[]>,
    eligible: Set<string>,
    hash: string,
    now: number,
  ): Promise<void> {
    const minReady = ds.spec?.minReadySeconds ?? 0;
    let current = 0;
    let misscheduled = 0;
    let ready = 0;
    let available = 0;
    let updated = 0;
    for (const [node, pods] of byNode) {
      const pod = pods.find((p) => p.status?.phase !== 'Failed');
      if (!pod) continue;
      if (!eligible.has(node)) {
        misscheduled++;
        continue;
      }
      current++;
      if (isPodReady(pod)) ready++;
      if (isPodAvailable(pod, minReady, now)) available++;
      if (pod.metadata.labels?.[REVISION_HASH_LABEL] === hash) updated++;
    }
    const status: DaemonSetStatus = {
      ...(ds.status ?? {}),
      desiredNumberScheduled: eligible.size,
      currentNumberScheduled: current,
      numberMisscheduled: misscheduled,
      numberReady: ready,
      numberAvailable: available,
      numberUnavailable: Math.max(0, eligible.size - available),
      updatedNumberScheduled: updated,
      observedGeneration: ds.metadata.generation,
    };
    if (minReady > 0 && ready > available) this.d.queue.addAfter(keyOf(ds), minReady * 1000 + 100);
    const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? {}));
    if (isDeepStrictEqual(plain(status), plain(ds.status))) return;
    try {
      await this.d.api.updateStatus(DAEMON_SETS, { ...structuredClone(ds), status } as DaemonSetObject);
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
      if (isStatusError(e, 'Conflict')) this.d.queue.addAfter(keyOf(ds), 100);
    }
  }
}

export const daemonSetEntry: ControllerEntry = {
  name: 'daemonset',
  aliases: ['daemonset-controller'],
  start(ctx) {
    const daemonSets = ctx.informers.informerFor<DaemonSetObject>(DAEMON_SETS);
    const pods = ctx.informers.informerFor<PodObject>(PODS);
    const nodes = ctx.informers.informerFor<NodeObject>(NODES);
    const revisions = ctx.informers.informerFor<RevisionObject>(CONTROLLER_REVISIONS);
    const queue = ctx.newQueue();
    const expectations = new Expectations(ctx.clock);
    enqueueOwners(daemonSets, queue, expectations);
    enqueueControllersOfPods(pods, 'DaemonSet', queue, expectations);
    const all = (): void => {
      for (const d of daemonSets.store.list()) queue.add(keyOf(d));
    };
    nodes.addEventHandler({ onAdd: all, onUpdate: all, onDelete: all });
    ctx.runWorkers(
      queue,
      new DaemonSetController({
        daemonSets: daemonSets.store,
        pods: pods.store,
        nodes: nodes.store,
        revisions: revisions.store,
        api: ctx.api,
        expectations,
        events: ctx.events,
        queue,
        clock: ctx.clock,
        log: ctx.log,
      }),
    );
  },
};
