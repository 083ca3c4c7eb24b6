import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf, splitKey } from '../../api/object.js';
import { findByKind, RESOURCES, type ResourceDef } from '../../api/resources.js';
import type { ApiClient, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { OWNER_UID_INDEX } from './informer-factory.js';

export const ORPHAN_FINALIZER = 'orphan';
export const FOREGROUND_FINALIZER = 'foregroundDeletion';

/** Events never own anything and churn the most: the graph leaves them out, as upstream. */
export const GC_RESOURCES: readonly ResourceDef[] = RESOURCES.filter((r) => r.plural !== 'events');

function resourceId(r: ResourceDef): string {
  return `${r.group}/${r.version}/${r.plural}`;
}

/** A work item: which resource, which object. */
export function gcKey(r: ResourceDef, obj: KubeObject): string {
  return `${resourceId(r)}|${keyOf(obj)}`;
}

type OwnerState = 'solid' | 'dangling' | 'waiting';

/**
 * Deletes objects whose owners are all gone (background propagation), and carries out the two
 * finalizers the apiserver adds on DELETE: `orphan` (drop the owner references of dependents,
 * then the finalizer) and `foregroundDeletion` (delete dependents first, then the finalizer).
 */
export class GarbageCollector {
  private readonly byId = new Map<string, ResourceDef>();

  constructor(
    private readonly d: {
      stores: Map<ResourceDef, Store<KubeObject>>;
      api: ApiClient;
      queue: WorkQueue<string>;
      log: Logger;
    },
  ) {
    for (const r of d.stores.keys()) this.byId.set(resourceId(r), r);
  }

  async sync(key: string): Promise<void> {
    const bar = key.indexOf('|');
    const res = this.byId.get(key.slice(0, bar));
    if (!res) return;
    const obj = this.d.stores.get(res)?.get(key.slice(bar + 1));
    if (!obj) return;
    const finalizers = obj.metadata.finalizers ?? [];
    if (obj.metadata.deletionTimestamp && finalizers.includes(ORPHAN_FINALIZER)) {
      await this.orphanDependents(res, obj);
      return;
    }
    if (obj.metadata.deletionTimestamp && finalizers.includes(FOREGROUND_FINALIZER)) {
      await this.deleteDependentsFirst(res, obj);
      return;
    }
    if ((obj.metadata.ownerReferences ?? []).length > 0 && !obj.metadata.deletionTimestamp) {
      await this.checkOwners(res, obj);
    }
  }

  /** Every cached object with an owner reference to `uid`, with its resource. */
  private dependents(uid: string): { res: ResourceDef; obj: KubeObject }[] {
    const out: { res: ResourceDef; obj: KubeObject }[] = [];
    for (const [res, store] of this.d.stores) {
      for (const obj of store.byIndex(OWNER_UID_INDEX, uid)) out.push({ res, obj });
    }
    return out;
  }

  private async orphanDependents(res: ResourceDef, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    for (const dep of this.dependents(uid)) {
      await this.editLive(dep.res, dep.obj, (o) => {
        const refs = o.metadata.ownerReferences ?? [];
        if (!refs.some((r) => r.uid === uid)) return false;
        const rest = refs.filter((r) => r.uid !== uid);
        if (rest.length > 0) o.metadata.ownerReferences = rest;
        else delete o.metadata.ownerReferences;
        return true;
      });
    }
    await this.removeFinalizer(res, owner, ORPHAN_FINALIZER);
    this.d.log.info({ owner: keyOf(owner), kind: res.kind }, 'orphaned dependents');
  }

  private async deleteDependentsFirst(res: ResourceDef, owner: KubeObject): Promise<void> {
    const uid = owner.metadata.uid ?? '';
    let blocking = 0;
    for (const dep of this.dependents(uid)) {
      const ref = (dep.obj.metadata.ownerReferences ?? []).find((r) => r.uid === uid);
      if (ref?.blockOwnerDeletion) blocking++;
      if (dep.obj.metadata.deletionTimestamp) continue;
      await this.deleteObject(dep.res, dep.obj, ref?.blockOwnerDeletion ? 'Foreground' : 'Background');
    }
    // Dependents that block the owner are waited for; their deletion requeues the owner.
    if (blocking > 0) return;
    await this.removeFinalizer(res, owner, FOREGROUND_FINALIZER);
  }

  private async checkOwners(res: ResourceDef, obj: KubeObject): Promise<void> {
    const refs = obj.metadata.ownerReferences ?? [];
    const states = new Map<string, OwnerState>();
    for (const ref of refs) {
      const state = await this.ownerState(obj, ref);
      if (state === undefined) return; // an owner of a kind we cannot look up: leave it alone
      states.set(ref.uid, state);
    }
    const solid = refs.filter((r) => states.get(r.uid) === 'solid');
    const waiting = refs.filter((r) => states.get(r.uid) === 'waiting');
    const dangling = refs.filter((r) => states.get(r.uid) === 'dangling');
    if (solid.length === 0) {
      const hasOwnDependents = this.dependents(obj.metadata.uid ?? '').length > 0;
      const policy = waiting.length > 0 && hasOwnDependents ? 'Foreground' : 'Background';
      this.d.log.info(
        { object: keyOf(obj), kind: res.kind, policy },
        'deleting object whose owners are gone',
      );
      await this.deleteObject(res, obj, policy);
      return;
    }
    if (dangling.length === 0 && !waiting.some((r) => r.blockOwnerDeletion)) return;
    // Solid owners remain: drop references to missing owners and stop blocking deleting ones.
    const gone = new Set(dangling.map((r) => r.uid));
    const unblock = new Set(waiting.map((r) => r.uid));
    await this.editLive(res, obj, (o) => {
      const before = JSON.stringify(o.metadata.ownerReferences ?? []);
      o.metadata.ownerReferences = (o.metadata.ownerReferences ?? [])
        .filter((r) => !gone.has(r.uid))
        .map((r) => (unblock.has(r.uid) ? { ...r, blockOwnerDeletion: false } : r));
      return JSON.stringify(o.metadata.ownerReferences) !== before;
    });
  }

  /**
   * Whether the owner exists (solid), exists but waits for its dependents (waiting) or is gone
   * (dangling). A miss in the cache is confirmed against the API: the cache may lag.
   */
  private async ownerState(obj: KubeObject, ref: OwnerReference): Promise<OwnerState | undefined> {
    const res = findByKind(ref.apiVersion, ref.kind);
    if (!res) return undefined;
    const namespace = res.namespaced ? (obj.metadata.namespace ?? '') : '';
    if (res.namespaced && !namespace) return 'dangling';
    const key = namespace ? `${namespace}/${ref.name}` : ref.name;
    let owner: KubeObject | undefined = this.storeOf(res)?.get(key);
    if (!owner || owner.metadata.uid !== ref.uid) {
      try {
        owner = await this.d.api.get<KubeObject>(res, ref.name, { namespace: namespace || undefined });
      } catch (e) {
        if (isStatusError(e, 'NotFound')) return 'dangling';
        throw e;
      }
      if (owner.metadata.uid !== ref.uid) return 'dangling';
    }
    const waiting =
      owner.metadata.deletionTimestamp !== undefined &&
      (owner.metadata.finalizers ?? []).includes(FOREGROUND_FINALIZER);
    return waiting ? 'waiting' : 'solid';
  }

  private storeOf(res: ResourceDef): Store<KubeObject> | undefined {
    const known = this.byId.get(resourceId(res));
    return known ? this.d.stores.get(known) : undefined;
  }

  private async deleteObject(
    res: ResourceDef,
    obj: KubeObject,
    policy: 'Foreground' | 'Background',
  ): Promise<void> {
    try {
      await this.d.api.delete(res, obj.metadata.name ?? '', {
        namespace: obj.metadata.namespace,
        propagationPolicy: policy,
        preconditions: { uid: obj.metadata.uid },
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }

  private async removeFinalizer(res: ResourceDef, obj: KubeObject, finalizer: string): Promise<void> {
    await this.editLive(res, obj, (o) => {
      const list = o.metadata.finalizers ?? [];
      if (!list.includes(finalizer)) return false;
      o.metadata.finalizers = list.filter((f) => f !== finalizer);
      return true;
    });
  }

  /** Reads the live object, lets `edit` change it (false: nothing to do) and writes it back. */
  private async editLive(res: ResourceDef, obj: KubeObject, edit: (o: KubeObject) => boolean): Promise<void> {
    const { namespace, name } = splitKey(keyOf(obj));
    let live: KubeObject;
    try {
      live = await this.d.api.get(res, name, { namespace: namespace || undefined });
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return;
      throw e;
    }
    if (live.metadata.uid !== obj.metadata.uid || !edit(live)) return;
    try {
      await this.d.api.update(res, live);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}

export const garbageCollectorEntry: ControllerEntry = {
  name: 'garbagecollector',
  aliases: ['garbage-collector-controller'],
  start(ctx) {
    const queue = ctx.newQueue();
    const stores = new Map<ResourceDef, Store<KubeObject>>();
    const informers = GC_RESOURCES.map((res) => ({
      res,
      informer: ctx.informers.informerFor<KubeObject>(res),
    }));
    const enqueueDependents = (uid: string | undefined): void => {
      if (!uid) return;
      for (const { res, informer } of informers) {
        for (const dep of informer.store.byIndex(OWNER_UID_INDEX, uid)) queue.add(gcKey(res, dep));
      }
    };
    const enqueueOwners = (obj: KubeObject): void => {
      for (const ref of obj.metadata.ownerReferences ?? []) {
        const res = findByKind(ref.apiVersion, ref.kind);
        if (!res) continue;
        const owner = {
          metadata: { name: ref.name, namespace: res.namespaced ? obj.metadata.namespace : undefined },
        };
        queue.add(gcKey(res, owner as KubeObject));
      }
    };
    const interesting = (obj: KubeObject): boolean =>
      (obj.metadata.ownerReferences ?? []).length > 0 ||
      (obj.metadata.deletionTimestamp !== undefined &&
        (obj.metadata.finalizers ?? []).some((f) => f === ORPHAN_FINALIZER || f === FOREGROUND_FINALIZER));
    for (const { res, informer } of informers) {
      stores.set(res, informer.store);
      informer.addEventHandler({
        onAdd: (obj) => {
          if (interesting(obj)) queue.add(gcKey(res, obj));
        },
        onUpdate: (old, obj) => {
          if (interesting(obj)) queue.add(gcKey(res, obj));
          // A dependent starting deletion may unblock a foreground-deleting owner.
          if (obj.metadata.deletionTimestamp && !old.metadata.deletionTimestamp) enqueueOwners(obj);
        },
        onDelete: (obj) => {
          enqueueDependents(obj.metadata.uid);
          enqueueOwners(obj);
        },
      });
    }
    ctx.runWorkers(queue, new GarbageCollector({ stores, api: ctx.api, queue, log: ctx.log }));
  },
};
