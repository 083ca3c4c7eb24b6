import { isDeepStrictEqual } from 'node:util';
import type { Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf, splitApiVersion } from '../../api/object.js';
import { RESOURCES } from '../../api/resources.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf } from './controller-ref.js';
import {
  budgetSelects,
  budgetStatus,
  countHealthy,
  expectedAndDesired,
  failSafeStatus,
  needsControllerScale,
  type PdbObject,
  pendingDisruptions,
} from './disruption-budget.js';
import type { PodObject } from './replicaset-controller.js';
import { DEPLOYMENTS, POD_DISRUPTION_BUDGETS, PODS, REPLICA_SETS, STATEFUL_SETS } from './resources.js';
import { StaleDisruptionCleaner } from './stale-disruption.js';

type RSObject = ReplicaSet & KubeObject;
type DeploymentObject = Deployment & KubeObject;
type StatefulSetObject = StatefulSet & KubeObject;
type ScaledObject = KubeObject & { spec?: { replicas?: number } };

export interface DisruptionControllerDeps {
  pdbs: Store<PdbObject>;
  pods: Store<PodObject>;
  replicaSets: Store<RSObject>;
  deployments: Store<DeploymentObject>;
  statefulSets: Store<StatefulSetObject>;
  api: ApiClient;
  events: EventRecorder;
  queue: WorkQueue<string>;
  clock: Clock;
  log: Logger;
}

/**
 * Keeps each PodDisruptionBudget's status (upstream's disruption controller): how many selected
 * pods are healthy, how many must stay so, how many are expected (from the pods' controllers'
 * scale), and so how many voluntary disruptions are allowed now; evictions recorded in
 * disruptedPods by the apiserver are dropped once the pod is gone or after the deletion timeout.
 */
export class DisruptionController {
  constructor(private readonly d: DisruptionControllerDeps) {}

  async sync(key: string): Promise<void> {
    const pdb = this.d.pdbs.get(key);
    if (!pdb) return;
    const now = this.d.clock.now();
    const pods = this.d.pods
      .byIndex('namespace', pdb.metadata.namespace ?? '')
      .filter((p) => budgetSelects(pdb, p));
    if (pods.length === 0) this.d.events.event(pdb, 'Normal', 'NoPods', 'No matching pods found');
    let status: PdbObject['status'];
    let recheckAt: number | undefined;
    try {
      const scale = needsControllerScale(pdb.spec) ? await this.controllerScale(pdb, pods) : 0;
      const { expectedPods, desiredHealthy } = expectedAndDesired(pdb.spec, pods.length, scale);
      const pending = pendingDisruptions(pdb.status?.disruptedPods, pods, now);
      recheckAt = pending.recheckAt;
      status = budgetStatus(
        pdb,
        {
          currentHealthy: countHealthy(pods, pending.disrupted),
          desiredHealthy,
          expectedPods,
          disruptedPods: pending.disrupted,
        },
        now,
      );
    } catch (e) {
      const message = (e as Error).message;
      this.d.events.event(
        pdb,
        'Warning',
        'CalculateExpectedPodCountFailed',
        `Failed to calculate the number of expected pods: ${message}`,
      );
      await this.writeStatus(pdb, failSafeStatus(pdb, message, now));
      throw e;
    }
    await this.writeStatus(pdb, status);
    if (recheckAt !== undefined) this.d.queue.addAfter(key, recheckAt - now + 50);
  }

  private async writeStatus(pdb: PdbObject, status: PdbObject['status']): Promise<void> {
    if (isDeepStrictEqual(pdb.status, status)) return;
    const copy = { ...structuredClone(pdb), status } as PdbObject;
    try {
      await this.d.api.updateStatus(POD_DISRUPTION_BUDGETS, copy);
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return;
      throw e;
    }
  }

  /**
   * The sum of the replicas of the controllers of the selected pods, each counted once (a
   * Deployment's through its ReplicaSets). Pods without a controller are left out with a
   * warning; a controller that cannot be found is an error.
   */
  private async controllerScale(pdb: PdbObject, pods: readonly PodObject[]): Promise<number> {
    const scales = new Map<string, number>();
    const unmanaged: string[] = [];
    for (const pod of pods) {
      const ref = controllerRefOf(pod);
      if (!ref) {
        unmanaged.push(pod.metadata.name ?? '');
        continue;
      }
      if (scales.has(ref.uid)) continue;
      const found = await this.scaleOf(pod.metadata.namespace ?? '', ref);
      if (!found) throw new Error(`found no controllers for pod "${pod.metadata.name}"`);
      scales.set(found.uid, found.replicas);
      if (found.uid !== ref.uid) scales.set(ref.uid, 0);
    }
    if (unmanaged.length > 0) {
      this.d.events.event(
        pdb,
        'Warning',
        'UnmanagedPods',
        `Pods selected by this PodDisruptionBudget (selector: ${JSON.stringify(pdb.spec?.selector ?? {})}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set ".spec.minAvailable" field of the PDB to an integer value.`,
      );
    }
    let total = 0;
    for (const n of scales.values()) total += n;
    return total;
  }

  /** The controller owning a pod and its replicas, as upstream's finders (RS→Deployment, StatefulSet, any /scale). */
  private async scaleOf(
    namespace: string,
    ref: { apiVersion: string; kind: string; name: string; uid: string },
  ): Promise<{ uid: string; replicas: number } | undefined> {
    const { group } = splitApiVersion(ref.apiVersion);
    const key = `${namespace}/${ref.name}`;
    if (group === 'apps' && ref.kind === 'ReplicaSet') {
      const rs = this.d.replicaSets.get(key);
      if (!rs || rs.metadata.uid !== ref.uid) return undefined;
      const owner = controllerRefOf(rs);
      if (owner && owner.kind === 'Deployment' && splitApiVersion(owner.apiVersion).group === 'apps') {
        const dep = this.d.deployments.get(`${namespace}/${owner.name}`);
        if (dep && dep.metadata.uid === owner.uid)
          return { uid: owner.uid, replicas: dep.spec?.replicas ?? 1 };
        return undefined;
      }
      return { uid: ref.uid, replicas: rs.spec?.replicas ?? 1 };
    }
    if (group === 'apps' && ref.kind === 'StatefulSet') {
      const sts = this.d.statefulSets.get(key);
      if (!sts || sts.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: sts.spec?.replicas ?? 1 };
    }
    const def = RESOURCES.find(
      (r) => r.kind === ref.kind && `${r.group ? `${r.group}/` : ''}${r.version}` === ref.apiVersion,
    );
    if (!def?.subresources.includes('scale')) return undefined;
    try {
      const scale = await this.d.api.subresource<{
        metadata?: { uid?: string };
        spec?: { replicas?: number };
      }>('GET', def, ref.name, 'scale', { namespace });
      if (scale.metadata?.uid && scale.metadata.uid !== ref.uid) return undefined;
      return { uid: ref.uid, replicas: scale.spec?.replicas ?? 0 };
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return undefined;
      throw e;
    }
  }
}

/** The budgets of the pod's namespace that select it. */
function budgetsFor(pdbs: Store<PdbObject>, pod: PodObject): PdbObject[] {
  return pdbs.byIndex('namespace', pod.metadata.namespace ?? '').filter((b) => budgetSelects(b, pod));
}

export const disruptionEntry: ControllerEntry = {
  name: 'disruption',
  aliases: ['disruption-controller'],
  start(ctx) {
    const pdbs = ctx.informers.informerFor<PdbObject>(POD_DISRUPTION_BUDGETS);
    const pods = ctx.informers.informerFor<PodObject>(PODS);
    const replicaSets = ctx.informers.informerFor<RSObject>(REPLICA_SETS);
    const deployments = ctx.informers.informerFor<DeploymentObject>(DEPLOYMENTS);
    const statefulSets = ctx.informers.informerFor<StatefulSetObject>(STATEFUL_SETS);
    const queue = ctx.newQueue();
    const enqueuePod = (p: PodObject): void => {
      for (const b of budgetsFor(pdbs.store, p)) queue.add(keyOf(b));
    };
    // A change of a controller's scale changes expectedPods of the budgets in its namespace.
    const enqueueNamespace = (o: ScaledObject, n: ScaledObject): void => {
      if (o.spec?.replicas === n.spec?.replicas) return;
      for (const b of pdbs.store.byIndex('namespace', n.metadata.namespace ?? '')) queue.add(keyOf(b));
    };
    pdbs.addEventHandler({
      onAdd: (b) => queue.add(keyOf(b)),
      onUpdate: (_o, b) => queue.add(keyOf(b)),
      onDelete: (b) => queue.add(keyOf(b)),
    });
    const staleQueue = ctx.newQueue();
    const stale = new StaleDisruptionCleaner({
      pods: pods.store,
      api: ctx.api,
      queue: staleQueue,
      clock: ctx.clock,
      log: ctx.log,
    });
    pods.addEventHandler({
      onAdd: (p) => {
        enqueuePod(p);
        stale.watch(keyOf(p), p);
      },
      onUpdate: (o, p) => {
        enqueuePod(p);
        if (!isDeepStrictEqual(o.metadata.labels, p.metadata.labels)) enqueuePod(o);
        stale.watch(keyOf(p), p);
      },
      onDelete: enqueuePod,
    });
    replicaSets.addEventHandler({ onUpdate: enqueueNamespace });
    deployments.addEventHandler({ onUpdate: enqueueNamespace });
    statefulSets.addEventHandler({ onUpdate: enqueueNamespace });
    ctx.runWorkers(staleQueue, stale, 1);
    ctx.runWorkers(
      queue,
      new DisruptionController({
        pdbs: pdbs.store,
        pods: pods.store,
        replicaSets: replicaSets.store,
        deployments: deployments.store,
        statefulSets: statefulSets.store,
        api: ctx.api,
        events: ctx.events,
        queue,
        clock: ctx.clock,
        log: ctx.log,
      }),
    );
  },
};
