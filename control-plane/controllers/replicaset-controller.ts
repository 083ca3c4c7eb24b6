import { isDeepStrictEqual } from 'node:util';
import type { ReplicaSet, ReplicaSetStatus } from 'kubernetes-types/apps/v1.js';
import type { Pod } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type LabelMatcher, labelSelectorFromObject } from '../../api/labels.js';
import { type KubeObject, keyOf, splitKey } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf, controllerRefTo, timestamp } from './controller-ref.js';
import { Expectations } from './expectations.js';
import { controllerKeyOf, enqueueOwners } from './owned-pod-events.js';
import { PodControl } from './pod-control.js';
import { podsToDelete } from './pod-ranking.js';
import { isPodActive, isPodAvailable, isPodReady } from './pod-state.js';
import { calculateReplicaSetStatus } from './replicaset-status.js';
import { PODS, REPLICA_SETS } from './resources.js';
import { slowStartBatch } from './slow-start.js';

export type ReplicaSetObject = ReplicaSet & KubeObject;
export type PodObject = Pod & KubeObject;

/** At most this many creates or deletes per sync, as upstream's burstReplicas. */
export const BURST_REPLICAS = 500;

const RS_API_VERSION = 'apps/v1';
const RS_KIND = 'ReplicaSet';

function selectorOf(rs: ReplicaSet): LabelMatcher | undefined {
  try {
    const m = labelSelectorFromObject(rs.spec?.selector);
    return m.empty ? undefined : m;
  } catch {
    return undefined;
  }
}

/** Plain JSON (no undefined members), so that statuses compare as the server stores them. */
function plain<T>(v: T): T {
  return v === undefined ? v : (JSON.parse(JSON.stringify(v)) as T);
}

/**
 * Keeps `spec.replicas` pods of each ReplicaSet: creates from the template, deletes the least
 * valuable first, adopts matching orphans and releases pods that stopped matching, and writes
 * the counts to /status.
 */
export class ReplicaSetController {
  constructor(
    private readonly d: {
      replicaSets: Store<ReplicaSetObject>;
      pods: Store<PodObject>;
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
    const rs = this.d.replicaSets.get(key);
    if (!rs) {
      this.d.expectations.forget(key);
      return;
    }
    const selector = selectorOf(rs);
    if (!selector) {
      this.d.log.warn({ key }, 'replica set has an invalid or empty selector, ignoring it');
      return;
    }
    const pods = await this.claimPods(rs, selector);
    const active = pods.filter(isPodActive);
    let manageError: { reason: string; message: string } | undefined;
    let failure: unknown;
    if (this.d.expectations.satisfied(key) && !rs.metadata.deletionTimestamp) {
      try {
        await this.manageReplicas(key, rs, active);
      } catch (e) {
        failure = e;
        manageError = { reason: 'FailedCreate', message: (e as Error).message };
      }
    }
    await this.writeStatus(rs, active, manageError);
    this.requeueForAvailability(key, rs, active);
    if (failure) throw failure;
  }

  /** Adopts matching orphans and releases owned pods that no longer match; returns the owned pods. */
  private async claimPods(rs: ReplicaSetObject, selector: LabelMatcher): Promise<PodObject[]> {
    const uid = rs.metadata.uid;
    const owned: PodObject[] = [];
    let canAdopt: boolean | undefined;
    for (const pod of this.d.pods.byIndex('namespace', rs.metadata.namespace ?? '')) {
      const ref = controllerRefOf(pod);
      const matches = selector.matches(pod.metadata.labels);
      if (ref) {
        if (ref.uid !== uid) continue;
        if (matches || rs.metadata.deletionTimestamp) owned.push(pod);
        else await this.release(rs, pod);
        continue;
      }
      if (!matches || pod.metadata.deletionTimestamp || rs.metadata.deletionTimestamp) continue;
      canAdopt ??= await this.stillExists(rs);
      if (!canAdopt) continue;
      const adopted = await this.adopt(rs, pod);
      if (adopted) owned.push(adopted);
    }
    return owned;
  }

  /** Adoption needs the live object: the cache may still hold a deleted or recreated one. */
  private async stillExists(rs: ReplicaSetObject): Promise<boolean> {
    try {
      const fresh = await this.d.api.get<ReplicaSetObject>(REPLICA_SETS, rs.metadata.name ?? '', {
        namespace: rs.metadata.namespace,
      });
      return fresh.metadata.uid === rs.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return false;
      throw e;
    }
  }

  private async adopt(rs: ReplicaSetObject, pod: PodObject): Promise<PodObject | undefined> {
    const copy = structuredClone(pod) as PodObject;
    copy.metadata.ownerReferences = [
      ...(copy.metadata.ownerReferences ?? []),
      controllerRefTo(rs, RS_API_VERSION, RS_KIND),
    ];
    try {
      const updated = await this.d.api.update<PodObject>(PODS, copy);
      this.d.log.info({ pod: keyOf(pod) }, 'adopted pod');
      return updated;
    } catch (e) {
      if (isStatusError(e, 'NotFound') || isStatusError(e, 'Conflict')) return undefined;
      throw e;
    }
  }

  private async release(rs: ReplicaSetObject, pod: PodObject): Promise<void> {
    const copy = structuredClone(pod) as PodObject;
    copy.metadata.ownerReferences = (copy.metadata.ownerReferences ?? []).filter(
      (r) => r.uid !== rs.metadata.uid,
    );
    try {
      await this.d.api.update<PodObject>(PODS, copy);
      this.d.log.info({ pod: keyOf(pod) }, 'released pod');
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }

  private async manageReplicas(key: string, rs: ReplicaSetObject, active: PodObject[]): Promise<void> {
    const wanted = rs.spec?.replicas ?? 1;
    const diff = active.length - wanted;
    if (diff < 0) {
      const count = Math.min(-diff, BURST_REPLICAS);
      this.d.expectations.expectCreations(key, count);
      const result = await slowStartBatch(count, 1, () => this.createPod(rs));
      // Creates never attempted or failed will not be observed: stop waiting for them.
      for (let i = result.succeeded; i < count; i++) this.d.expectations.creationObserved(key);
      if (result.error) throw result.error;
    } else if (diff > 0) {
      const victims = podsToDelete(active, Math.min(diff, BURST_REPLICAS));
      this.d.expectations.expectDeletions(
        key,
        victims.map((p) => p.metadata.uid ?? ''),
      );
      const errors: unknown[] = [];
      await Promise.all(
        victims.map(async (pod) => {
          try {
            if (!(await this.pods.delete(rs, pod)))
              this.d.expectations.deletionObserved(key, pod.metadata.uid ?? '');
          } catch (e) {
            this.d.expectations.deletionObserved(key, pod.metadata.uid ?? '');
            this.d.events.event(rs, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
            errors.push(e);
          }
        }),
      );
      if (errors.length > 0) throw errors[0];
    }
  }

  private async createPod(rs: ReplicaSetObject): Promise<void> {
    const template = rs.spec?.template;
    const pod: PodObject = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        generateName: `${rs.metadata.name}-`,
        namespace: rs.metadata.namespace,
        labels: { ...(template?.metadata?.labels ?? {}) },
        annotations: { ...(template?.metadata?.annotations ?? {}) },
        ownerReferences: [controllerRefTo(rs, RS_API_VERSION, RS_KIND)],
      },
      spec: structuredClone(template?.spec ?? { containers: [] }) as Pod['spec'],
    };
    if (template?.metadata?.finalizers) pod.metadata.finalizers = [...template.metadata.finalizers];
    await this.pods.create(rs, pod);
  }

  private async writeStatus(
    rs: ReplicaSetObject,
    active: PodObject[],
    manageError: { reason: string; message: string } | undefined,
  ): Promise<void> {
    const now = this.d.clock.now();
    const status = plain(calculateReplicaSetStatus(rs, active, manageError, now, timestamp(now)));
    if (isDeepStrictEqual(status, plain(rs.status ?? {}))) return;
    let target: ReplicaSetObject = rs;
    for (let attempt = 0; ; attempt++) {
      const copy = { ...structuredClone(target), status: status as ReplicaSetStatus } as ReplicaSetObject;
      try {
        await this.d.api.updateStatus(REPLICA_SETS, copy);
        return;
      } catch (e) {
        if (isStatusError(e, 'NotFound')) return;
        if (!isStatusError(e, 'Conflict') || attempt >= 1) throw e;
        const { namespace, name } = splitKey(keyOf(rs));
        target = await this.d.api.get<ReplicaSetObject>(REPLICA_SETS, name, { namespace });
        status.observedGeneration = target.metadata.generation;
      }
    }
  }

  /** Ready pods become available after minReadySeconds: look again then. */
  private requeueForAvailability(key: string, rs: ReplicaSetObject, active: PodObject[]): void {
    const minReady = rs.spec?.minReadySeconds ?? 0;
    if (minReady <= 0) return;
    const now = this.d.clock.now();
    if (active.some((p) => isPodReady(p) && !isPodAvailable(p, minReady, now))) {
      this.d.queue.addAfter(key, minReady * 1000 + 100);
    }
  }
}

/** The ReplicaSets a pod concerns: its controller, or (an orphan) every set whose selector matches. */
export function replicaSetKeysForPod(pod: PodObject, replicaSets: Store<ReplicaSetObject>): string[] {
  const ns = pod.metadata.namespace ?? '';
  const ref = controllerRefOf(pod);
  if (ref) {
    if (ref.kind !== RS_KIND) return [];
    const rs = replicaSets.get(`${ns}/${ref.name}`);
    return rs && rs.metadata.uid === ref.uid ? [keyOf(rs)] : [];
  }
  if (pod.metadata.deletionTimestamp) return [];
  return replicaSets
    .byIndex('namespace', ns)
    .filter((rs) => selectorOf(rs)?.matches(pod.metadata.labels))
    .map((rs) => keyOf(rs));
}

export const replicaSetEntry: ControllerEntry = {
  name: 'replicaset',
  aliases: ['replicaset-controller'],
  start(ctx) {
    const replicaSets = ctx.informers.informerFor<ReplicaSetObject>(REPLICA_SETS);
    const pods = ctx.informers.informerFor<PodObject>(PODS);
    const queue = ctx.newQueue();
    const expectations = new Expectations(ctx.clock);
    enqueueOwners(replicaSets, queue, expectations);
    const ownerKey = (pod: PodObject): string | undefined => controllerKeyOf(pod, RS_KIND);
    pods.addEventHandler({
      onAdd: (pod) => {
        const owner = ownerKey(pod);
        if (owner) {
          if (pod.metadata.deletionTimestamp) expectations.deletionObserved(owner, pod.metadata.uid ?? '');
          else expectations.creationObserved(owner);
        }
        for (const k of replicaSetKeysForPod(pod, replicaSets.store)) queue.add(k);
      },
      onUpdate: (old, pod) => {
        const owner = ownerKey(pod);
        if (owner && pod.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) {
          expectations.deletionObserved(owner, pod.metadata.uid ?? '');
        }
        const keys = new Set([
          ...replicaSetKeysForPod(old, replicaSets.store),
          ...replicaSetKeysForPod(pod, replicaSets.store),
        ]);
        for (const k of keys) queue.add(k);
      },
      onDelete: (pod) => {
        const owner = ownerKey(pod);
        if (owner) {
          expectations.deletionObserved(owner, pod.metadata.uid ?? '');
          queue.add(owner);
        }
      },
    });
    ctx.runWorkers(
      queue,
      new ReplicaSetController({
        replicaSets: replicaSets.store,
        pods: pods.store,
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
