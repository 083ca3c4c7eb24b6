import { isDeepStrictEqual } from 'node:util';
import type { Deployment, DeploymentStatus, ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type LabelMatcher, labelSelectorFromObject } from '../../api/labels.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { controllerRefOf, controllerRefTo, timestamp } from './controller-ref.js';
import {
  calculateDeploymentStatus,
  DESIRED_REPLICAS_ANNOTATION,
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  MAX_REPLICAS_ANNOTATION,
  newCondition,
  REASON,
  REVISION_ANNOTATION,
  removeCondition,
  revisionOf,
  setCondition,
  sumSpecReplicas,
} from './deployment-status.js';
import { OWNER_UID_INDEX } from './informer-factory.js';
import { POD_TEMPLATE_HASH_LABEL, podTemplateHash, templatesEqualIgnoringHash } from './pod-template-hash.js';
import type { PodObject, ReplicaSetObject } from './replicaset-controller.js';
import { DEPLOYMENTS, PODS, REPLICA_SETS } from './resources.js';
import {
  isRollingUpdate,
  maxOldScaleDown,
  maxSurgeOf,
  maxUnavailableOf,
  newReplicaSetReplicas,
} from './rollout-math.js';

export type DeploymentObject = Deployment & KubeObject;

const API_VERSION = 'apps/v1';
const KIND = 'Deployment';

function selectorOf(d: Deployment): LabelMatcher | undefined {
  try {
    const m = labelSelectorFromObject(d.spec?.selector);
    return m.empty ? undefined : m;
  } catch {
    return undefined;
  }
}

function plain<T>(v: T): T {
  return JSON.parse(JSON.stringify(v ?? {})) as T;
}

function byCreation(a: ReplicaSet, b: ReplicaSet): number {
  const ta = a.metadata?.creationTimestamp ?? '';
  const tb = b.metadata?.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  return (a.metadata?.name ?? '') < (b.metadata?.name ?? '') ? -1 : 1;
}

const replicasOf = (rs: ReplicaSet): number => rs.spec?.replicas ?? 0;

interface Sets {
  newRS: ReplicaSetObject | undefined;
  oldRSs: ReplicaSetObject[];
  /** Set when this sync created the new ReplicaSet or first found it. */
  newRSEvent?: 'created' | 'found';
}

/**
 * Rolls Deployments out through ReplicaSets: one ReplicaSet per pod template (named by its
 * pod-template-hash), scaled up and down by the RollingUpdate or Recreate strategy, with the
 * revision annotations, history cleanup and the Available / Progressing conditions.
 */
export class DeploymentController {
  constructor(
    private readonly d: {
      deployments: Store<DeploymentObject>;
      replicaSets: Store<ReplicaSetObject>;
      pods: Store<PodObject>;
      api: ApiClient;
      events: EventRecorder;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const cached = this.d.deployments.get(key);
    if (!cached) return;
    let dep = structuredClone(cached) as DeploymentObject;
    const selector = selectorOf(dep);
    if (!selector) {
      this.d.events.event(
        dep,
        'Warning',
        'SelectingAll',
        'This deployment is selecting all pods. A non-empty selector is required.',
      );
      if (dep.status?.observedGeneration !== dep.metadata.generation) {
        const status = { ...(dep.status ?? {}), observedGeneration: dep.metadata.generation };
        await this.writeStatus(dep, status);
      }
      return;
    }
    const sets = await this.claimReplicaSets(dep, selector);
    if (dep.metadata.deletionTimestamp) {
      const { newRS, oldRSs } = this.split(dep, sets);
      await this.syncStatusOnly(dep, newRS, oldRSs);
      return;
    }
    dep = await this.checkPausedConditions(dep);
    if (dep.spec?.paused || this.isScalingEvent(dep, sets)) {
      await this.syncScale(dep, sets);
      return;
    }
    if (dep.spec?.strategy?.type === 'Recreate') await this.rolloutRecreate(dep, sets);
    else await this.rolloutRolling(dep, sets);
  }

  // ---- ownership -------------------------------------------------------------------------------

  private async claimReplicaSets(dep: DeploymentObject, selector: LabelMatcher): Promise<ReplicaSetObject[]> {
    const owned: ReplicaSetObject[] = [];
    let canAdopt: boolean | undefined;
    for (const rs of this.d.replicaSets.byIndex('namespace', dep.metadata.namespace ?? '')) {
      const ref = controllerRefOf(rs);
      const matches = selector.matches(rs.metadata.labels);
      if (ref) {
        if (ref.uid !== dep.metadata.uid) continue;
        if (matches || dep.metadata.deletionTimestamp) owned.push(rs);
        else await this.setOwner(rs, dep, false);
        continue;
      }
      if (!matches || rs.metadata.deletionTimestamp || dep.metadata.deletionTimestamp) continue;
      canAdopt ??= await this.stillExists(dep);
      if (!canAdopt) continue;
      const adopted = await this.setOwner(rs, dep, true);
      if (adopted) owned.push(adopted);
    }
    return owned.filter((rs) => !rs.metadata.deletionTimestamp || dep.metadata.deletionTimestamp);
  }

  private async stillExists(dep: DeploymentObject): Promise<boolean> {
    try {
      const fresh = await this.d.api.get<DeploymentObject>(DEPLOYMENTS, dep.metadata.name ?? '', {
        namespace: dep.metadata.namespace,
      });
      return fresh.metadata.uid === dep.metadata.uid && !fresh.metadata.deletionTimestamp;
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return false;
      throw e;
    }
  }

  private async setOwner(
    rs: ReplicaSetObject,
    dep: DeploymentObject,
    adopt: boolean,
  ): Promise<ReplicaSetObject | undefined> {
    const copy = structuredClone(rs) as ReplicaSetObject;
    const others = (copy.metadata.ownerReferences ?? []).filter((r) => r.uid !== dep.metadata.uid);
    copy.metadata.ownerReferences = adopt ? [...others, controllerRefTo(dep, API_VERSION, KIND)] : others;
    try {
      return await this.d.api.update<ReplicaSetObject>(REPLICA_SETS, copy);
    } catch (e) {
      if (isStatusError(e, 'NotFound') || isStatusError(e, 'Conflict')) return undefined;
      throw e;
    }
  }

  // ---- replica sets ----------------------------------------------------------------------------

  /** The set whose template equals the deployment's (the oldest if several) and the others. */
  private split(dep: DeploymentObject, sets: ReplicaSetObject[]): Sets {
    const sorted = [...sets].sort(byCreation);
    const newRS = sorted.find((rs) => templatesEqualIgnoringHash(rs.spec?.template, dep.spec?.template));
    return { newRS, oldRSs: sorted.filter((rs) => rs !== newRS) };
  }

  /**
   * Finds (or, with `create`, makes) the new ReplicaSet and brings the revision annotations of it
   * and of the deployment up to date. Returns the deployment as last written.
   */
  private async syncRevision(
    dep: DeploymentObject,
    all: ReplicaSetObject[],
    create: boolean,
  ): Promise<{ dep: DeploymentObject; sets: Sets }> {
    const sets = this.split(dep, all);
    const maxOld = Math.max(0, ...sets.oldRSs.map(revisionOf));
    const newRevision = String(maxOld + 1);
    let newRS = sets.newRS;
    if (newRS) {
      const needsRevision = revisionOf(newRS) < maxOld + 1;
      const minReady = dep.spec?.minReadySeconds ?? 0;
      if (needsRevision || (newRS.spec?.minReadySeconds ?? 0) !== minReady) {
        const copy = structuredClone(newRS) as ReplicaSetObject;
        if (needsRevision)
          copy.metadata.annotations = {
            ...(copy.metadata.annotations ?? {}),
            [REVISION_ANNOTATION]: newRevision,
          };
        if (copy.spec) copy.spec.minReadySeconds = minReady;
        newRS = await this.d.api.update<ReplicaSetObject>(REPLICA_SETS, copy);
      }
      if (!getCondition(dep.status, 'Progressing')) sets.newRSEvent = 'found';
    } else if (create) {
      newRS = await this.createNewReplicaSet(dep, sets.oldRSs, newRevision);
      sets.newRSEvent = 'created';
    }
    sets.newRS = newRS;
    if (newRS) {
      const rev = newRS.metadata.annotations?.[REVISION_ANNOTATION] ?? newRevision;
      if (dep.metadata.annotations?.[REVISION_ANNOTATION] !== rev) {
        const copy = structuredClone(dep) as DeploymentObject;
        copy.metadata.annotations = { ...(copy.metadata.annotations ?? {}), [REVISION_ANNOTATION]: rev };
        dep = await this.d.api.update<DeploymentObject>(DEPLOYMENTS, copy);
      }
    }
    return { dep, sets };
  }

  private async createNewReplicaSet(
    dep: DeploymentObject,
    oldRSs: ReplicaSetObject[],
    revision: string,
  ): Promise<ReplicaSetObject> {
    const hash = podTemplateHash(dep.spec?.template, dep.status?.collisionCount);
    const template = structuredClone(dep.spec?.template ?? {}) as PodTemplateSpec;
    template.metadata = { ...(template.metadata ?? {}) };
    template.metadata.labels = { ...(template.metadata.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const selector = structuredClone(dep.spec?.selector ?? {});
    selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
    const replicas = dep.spec?.replicas ?? 1;
    const surge = maxSurgeOf(dep);
    const size = isRollingUpdate(dep)
      ? newReplicaSetReplicas(replicas, surge, sumSpecReplicas(oldRSs), 0)
      : replicas;
    const rs: ReplicaSetObject = {
      apiVersion: API_VERSION,
      kind: 'ReplicaSet',
      metadata: {
        name: `${dep.metadata.name}-${hash}`,
        namespace: dep.metadata.namespace,
        labels: { ...template.metadata.labels },
        annotations: {
          [REVISION_ANNOTATION]: revision,
          [DESIRED_REPLICAS_ANNOTATION]: String(replicas),
          [MAX_REPLICAS_ANNOTATION]: String(replicas + surge),
        },
        ownerReferences: [controllerRefTo(dep, API_VERSION, KIND)],
      },
      spec: { replicas: size, minReadySeconds: dep.spec?.minReadySeconds ?? 0, selector, template },
    };
    let created: ReplicaSetObject;
    try {
      created = await this.d.api.create<ReplicaSetObject>(REPLICA_SETS, rs, {
        namespace: dep.metadata.namespace,
      });
    } catch (e) {
      if (!isStatusError(e, 'AlreadyExists')) throw e;
      const existing = await this.d.api.get<ReplicaSetObject>(REPLICA_SETS, rs.metadata.name ?? '', {
        namespace: dep.metadata.namespace,
      });
      const ours = controllerRefOf(existing)?.uid === dep.metadata.uid;
      if (ours && templatesEqualIgnoringHash(existing.spec?.template, dep.spec?.template)) return existing;
      // A different set holds the name: hash again with the next collision count.
      const status = { ...(dep.status ?? {}), collisionCount: (dep.status?.collisionCount ?? 0) + 1 };
      await this.writeStatus(dep, status);
      throw new Error(
        `replica set name ${rs.metadata.name} collides with another object; retrying with a new hash`,
      );
    }
    this.d.events.event(
      dep,
      'Normal',
      'ScalingReplicaSet',
      `Scaled up replica set ${created.metadata.name} from 0 to ${size}`,
    );
    return created;
  }

  /** Sets replicas and the desired/max annotations; returns the set as written (or unchanged). */
  private async scaleReplicaSet(
    rs: ReplicaSetObject,
    size: number,
    dep: DeploymentObject,
  ): Promise<ReplicaSetObject> {
    const replicas = dep.spec?.replicas ?? 1;
    const desired = String(replicas);
    const max = String(replicas + maxSurgeOf(dep));
    const annotations = rs.metadata.annotations ?? {};
    const from = replicasOf(rs);
    if (
      from === size &&
      annotations[DESIRED_REPLICAS_ANNOTATION] === desired &&
      annotations[MAX_REPLICAS_ANNOTATION] === max
    ) {
      return rs;
    }
    const copy = structuredClone(rs) as ReplicaSetObject;
    copy.metadata.annotations = {
      ...annotations,
      [DESIRED_REPLICAS_ANNOTATION]: desired,
      [MAX_REPLICAS_ANNOTATION]: max,
    };
    if (copy.spec) copy.spec.replicas = size;
    const updated = await this.d.api.update<ReplicaSetObject>(REPLICA_SETS, copy);
    if (from !== size) {
      const verb = size > from ? 'up' : 'down';
      this.d.events.event(
        dep,
        'Normal',
        'ScalingReplicaSet',
        `Scaled ${verb} replica set ${rs.metadata.name} from ${from} to ${size}`,
      );
    }
    return updated;
  }

  // ---- strategies ------------------------------------------------------------------------------

  private async rolloutRolling(dep0: DeploymentObject, all: ReplicaSetObject[]): Promise<void> {
    const { dep, sets } = await this.syncRevision(dep0, all, true);
    let newRS = sets.newRS as ReplicaSetObject;
    let oldRSs = sets.oldRSs;
    const replicas = dep.spec?.replicas ?? 1;

    // Scale the new set up as far as maxSurge allows.
    const target =
      replicasOf(newRS) > replicas
        ? replicas
        : newReplicaSetReplicas(
            replicas,
            maxSurgeOf(dep),
            sumSpecReplicas([newRS, ...oldRSs]),
            replicasOf(newRS),
          );
    if (target !== replicasOf(newRS)) {
      newRS = await this.scaleReplicaSet(newRS, target, dep);
      await this.syncRolloutStatus(dep, newRS, oldRSs, sets.newRSEvent);
      return;
    }

    // Scale old sets down as far as maxUnavailable allows.
    const scaled = await this.reconcileOldReplicaSets(dep, newRS, oldRSs);
    if (scaled) {
      oldRSs = scaled;
      await this.syncRolloutStatus(dep, newRS, oldRSs, sets.newRSEvent);
      return;
    }
    const status = calculateDeploymentStatus(dep, [newRS, ...oldRSs], newRS, this.nowText());
    if (deploymentComplete(dep, status)) await this.cleanup(dep, oldRSs);
    await this.syncRolloutStatus(dep, newRS, oldRSs, sets.newRSEvent);
  }

  /** Returns the old sets after scaling, or undefined when nothing could be scaled down. */
  private async reconcileOldReplicaSets(
    dep: DeploymentObject,
    newRS: ReplicaSetObject,
    oldRSs0: ReplicaSetObject[],
  ): Promise<ReplicaSetObject[] | undefined> {
    let oldRSs = [...oldRSs0];
    if (sumSpecReplicas(oldRSs) === 0) return undefined;
    const replicas = dep.spec?.replicas ?? 1;
    const minAvailable = replicas - maxUnavailableOf(dep);
    const newUnavailable = replicasOf(newRS) - (newRS.status?.availableReplicas ?? 0);
    const maxScaledDown = maxOldScaleDown(sumSpecReplicas([newRS, ...oldRSs]), minAvailable, newUnavailable);
    if (maxScaledDown <= 0) return undefined;
    let changed = false;
    const replace = (old: ReplicaSetObject, next: ReplicaSetObject): void => {
      if (next !== old) changed = true;
      oldRSs = oldRSs.map((r) => (r === old ? next : r));
    };

    // First the unhealthy pods of old sets: they count for nothing.
    let cleaned = 0;
    for (const rs of [...oldRSs].sort(byCreation)) {
      if (cleaned >= maxScaledDown) break;
      const size = replicasOf(rs);
      const unhealthy = size - (rs.status?.availableReplicas ?? 0);
      if (size === 0 || unhealthy <= 0) continue;
      const count = Math.min(maxScaledDown - cleaned, unhealthy);
      replace(rs, await this.scaleReplicaSet(rs, size - count, dep));
      cleaned += count;
    }

    // Then available pods, while the total available stays at or above minAvailable.
    const available = [newRS, ...oldRSs].reduce((n, rs) => n + (rs.status?.availableReplicas ?? 0), 0);
    const total = available - minAvailable;
    let scaledDown = 0;
    if (total > 0) {
      for (const rs of [...oldRSs].sort(byCreation)) {
        if (scaledDown >= total) break;
        const size = replicasOf(rs);
        if (size === 0) continue;
        const count = Math.min(size, total - scaledDown);
        replace(rs, await this.scaleReplicaSet(rs, size - count, dep));
        scaledDown += count;
      }
    }
    return changed ? oldRSs : undefined;
  }

  private async rolloutRecreate(dep0: DeploymentObject, all: ReplicaSetObject[]): Promise<void> {
    let { dep, sets } = await this.syncRevision(dep0, all, false);
    let oldRSs = sets.oldRSs;
    let scaledDown = false;
    for (const rs of oldRSs) {
      if (replicasOf(rs) === 0) continue;
      const updated = await this.scaleReplicaSet(rs, 0, dep);
      oldRSs = oldRSs.map((r) => (r === rs ? updated : r));
      scaledDown = true;
    }
    if (scaledDown || this.oldPodsRunning(oldRSs)) {
      await this.syncRolloutStatus(dep, sets.newRS, oldRSs, sets.newRSEvent);
      return;
    }
    if (!sets.newRS) ({ dep, sets } = await this.syncRevision(dep, all, true));
    let newRS = sets.newRS as ReplicaSetObject;
    newRS = await this.scaleReplicaSet(newRS, dep.spec?.replicas ?? 1, dep);
    const status = calculateDeploymentStatus(dep, [newRS, ...oldRSs], newRS, this.nowText());
    if (deploymentComplete(dep, status)) await this.cleanup(dep, oldRSs);
    await this.syncRolloutStatus(dep, newRS, oldRSs, sets.newRSEvent);
  }

  /** Recreate waits until no pod of an old set may still run. */
  private oldPodsRunning(oldRSs: ReplicaSetObject[]): boolean {
    for (const rs of oldRSs) {
      if ((rs.status?.replicas ?? 0) > 0) return true;
      for (const pod of this.d.pods.byIndex(OWNER_UID_INDEX, rs.metadata.uid ?? '')) {
        const phase = pod.status?.phase;
        if (phase !== 'Succeeded' && phase !== 'Failed') return true;
      }
    }
    return false;
  }

  // ---- scaling ---------------------------------------------------------------------------------

  /** A replicas change not yet passed on to the active sets' desired-replicas annotation. */
  private isScalingEvent(dep: DeploymentObject, all: ReplicaSetObject[]): boolean {
    const want = String(dep.spec?.replicas ?? 1);
    return all.some((rs) => {
      if (replicasOf(rs) === 0) return false;
      const desired = rs.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION];
      return desired !== undefined && desired !== want;
    });
  }

  /** Scaling and paused deployments: resize the sets without rolling out (upstream's sync). */
  private async syncScale(dep0: DeploymentObject, all: ReplicaSetObject[]): Promise<void> {
    const { dep, sets } = await this.syncRevision(dep0, all, false);
    let { newRS, oldRSs } = sets;
    const resized = await this.scale(dep, newRS, oldRSs);
    newRS = resized.newRS;
    oldRSs = resized.oldRSs;
    if (dep.spec?.paused) await this.cleanup(dep, oldRSs);
    await this.syncStatusOnly(dep, newRS, oldRSs);
  }

  private async scale(
    dep: DeploymentObject,
    newRS0: ReplicaSetObject | undefined,
    oldRSs0: ReplicaSetObject[],
  ): Promise<Sets> {
    let newRS = newRS0;
    let oldRSs = oldRSs0;
    const replicas = dep.spec?.replicas ?? 1;
    const all = newRS ? [newRS, ...oldRSs] : [...oldRSs];
    const active = all.filter((rs) => replicasOf(rs) > 0);
    const put = (old: ReplicaSetObject, next: ReplicaSetObject): void => {
      if (old === newRS) newRS = next;
      else oldRSs = oldRSs.map((r) => (r === old ? next : r));
    };
    if (active.length <= 1) {
      const target = active[0] ?? newRS ?? [...oldRSs].sort(byCreation).at(-1);
      if (target) put(target, await this.scaleReplicaSet(target, replicas, dep));
      return { newRS, oldRSs };
    }
    if (
      newRS &&
      replicasOf(newRS) === replicas &&
      (newRS.status?.availableReplicas ?? 0) === replicas &&
      newRS.metadata.annotations?.[DESIRED_REPLICAS_ANNOTATION] === String(replicas)
    ) {
      for (const rs of oldRSs) if (replicasOf(rs) > 0) put(rs, await this.scaleReplicaSet(rs, 0, dep));
      return { newRS, oldRSs };
    }
    // Proportional scaling: each active set keeps its share of replicas + maxSurge.
    const surge = maxSurgeOf(dep);
    const allowed = replicas > 0 ? replicas + surge : 0;
    const toAdd = allowed - sumSpecReplicas(active);
    const ordered = [...active].sort((a, b) =>
      replicasOf(a) !== replicasOf(b)
        ? replicasOf(b) - replicasOf(a)
        : toAdd > 0
          ? -byCreation(a, b)
          : byCreation(a, b),
    );
    const sizes = new Map<ReplicaSetObject, number>();
    let added = 0;
    if (toAdd !== 0) {
      for (const rs of ordered) {
        const annotated = Number(
          rs.metadata.annotations?.[MAX_REPLICAS_ANNOTATION] ?? dep.status?.replicas ?? 0,
        );
        let fraction: number;
        if (replicas === 0) fraction = -replicasOf(rs);
        else if (!annotated) fraction = 0;
        else fraction = Math.round((replicasOf(rs) * allowed) / annotated) - replicasOf(rs);
        const left = toAdd - added;
        const share = toAdd > 0 ? Math.min(fraction, left) : Math.max(fraction, left);
        sizes.set(rs, replicasOf(rs) + share);
        added += share;
      }
    }
    const first = ordered[0];
    if (first && added !== toAdd) sizes.set(first, (sizes.get(first) ?? replicasOf(first)) + (toAdd - added));
    for (const rs of ordered)
      put(rs, await this.scaleReplicaSet(rs, Math.max(0, sizes.get(rs) ?? replicasOf(rs)), dep));
    return { newRS, oldRSs };
  }

  // ---- history ---------------------------------------------------------------------------------

  /** Deletes old, empty sets beyond revisionHistoryLimit, oldest revision first. */
  private async cleanup(dep: DeploymentObject, oldRSs: ReplicaSetObject[]): Promise<void> {
    const limit = dep.spec?.revisionHistoryLimit ?? 10;
    const cleanable = oldRSs.filter(
      (rs) => replicasOf(rs) === 0 && (rs.status?.replicas ?? 0) === 0 && !rs.metadata.deletionTimestamp,
    );
    const excess = cleanable.length - limit;
    if (excess <= 0) return;
    cleanable.sort((a, b) => revisionOf(a) - revisionOf(b) || byCreation(a, b));
    for (const rs of cleanable.slice(0, excess)) {
      try {
        await this.d.api.delete(REPLICA_SETS, rs.metadata.name ?? '', {
          namespace: rs.metadata.namespace,
          preconditions: { uid: rs.metadata.uid },
        });
      } catch (e) {
        if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
      }
    }
  }

  // ---- status ----------------------------------------------------------------------------------

  private nowText(): string {
    return timestamp(this.d.clock.now());
  }

  /** Sets Progressing=Unknown DeploymentPaused/DeploymentResumed when pausing or resuming. */
  private async checkPausedConditions(dep: DeploymentObject): Promise<DeploymentObject> {
    const cond = getCondition(dep.status, 'Progressing');
    if (cond?.reason === REASON.timedOut) return dep;
    const pausedCond = cond?.reason === REASON.paused;
    const paused = dep.spec?.paused === true;
    if (paused === pausedCond) return dep;
    const status = structuredClone(dep.status ?? {}) as DeploymentStatus;
    const c = paused
      ? newCondition('Progressing', 'Unknown', REASON.paused, 'Deployment is paused', this.nowText())
      : newCondition('Progressing', 'Unknown', REASON.resumed, 'Deployment is resumed', this.nowText());
    removeCondition(status, 'Progressing');
    setCondition(status, c);
    return (await this.writeStatus(dep, status)) ?? dep;
  }

  private async syncStatusOnly(
    dep: DeploymentObject,
    newRS: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
  ): Promise<void> {
    const all = newRS ? [newRS, ...oldRSs] : oldRSs;
    const status = calculateDeploymentStatus(dep, all, newRS, this.nowText());
    await this.writeStatus(dep, status);
  }

  private async syncRolloutStatus(
    dep: DeploymentObject,
    newRS: ReplicaSetObject | undefined,
    oldRSs: ReplicaSetObject[],
    newRSEvent: Sets['newRSEvent'],
  ): Promise<void> {
    const now = this.d.clock.now();
    const nowText = timestamp(now);
    const all = newRS ? [newRS, ...oldRSs] : oldRSs;
    const status = calculateDeploymentStatus(dep, all, newRS, nowText);
    const rsName = newRS?.metadata.name ?? '';
    const deadline = dep.spec?.progressDeadlineSeconds;
    if (deadline !== undefined && !dep.spec?.paused) {
      if (newRSEvent === 'created') {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            REASON.newRSCreated,
            `Created new replica set "${rsName}"`,
            nowText,
          ),
        );
      } else if (newRSEvent === 'found') {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'True',
            REASON.foundNewRS,
            `Found new replica set "${rsName}"`,
            nowText,
          ),
        );
      }
      const current = getCondition(status, 'Progressing');
      if (newRS && deploymentComplete(dep, status)) {
        if (current?.reason !== REASON.newRSAvailable) {
          removeCondition(status, 'Progressing');
          const c = newCondition(
            'Progressing',
            'True',
            REASON.newRSAvailable,
            `ReplicaSet "${rsName}" has successfully progressed.`,
            nowText,
          );
          if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
          setCondition(status, c);
        }
      } else if (newRS && deploymentProgressing(dep.status, status)) {
        const c = newCondition(
          'Progressing',
          'True',
          REASON.updated,
          `ReplicaSet "${rsName}" is progressing.`,
          nowText,
        );
        if (current?.status === 'True') c.lastTransitionTime = current.lastTransitionTime;
        removeCondition(status, 'Progressing');
        setCondition(status, c);
      } else if (deploymentTimedOut(dep, status, now)) {
        setCondition(
          status,
          newCondition(
            'Progressing',
            'False',
            REASON.timedOut,
            `ReplicaSet "${rsName}" has timed out progressing.`,
            nowText,
          ),
        );
        if (current?.reason !== REASON.timedOut) {
          this.d.events.event(
            dep,
            'Warning',
            REASON.timedOut,
            `Deployment "${dep.metadata.name}" has timed out progressing.`,
          );
        }
      }
    }
    const failure = all
      .flatMap((rs) => rs.status?.conditions ?? [])
      .find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
    if (failure) {
      setCondition(
        status,
        newCondition(
          'ReplicaFailure',
          'True',
          failure.reason ?? 'FailedCreate',
          failure.message ?? '',
          nowText,
        ),
      );
    } else removeCondition(status, 'ReplicaFailure');
    await this.writeStatus(dep, status);

    // Look again when the progress deadline would pass.
    const progressing = getCondition(status, 'Progressing');
    if (
      deadline !== undefined &&
      !deploymentComplete(dep, status) &&
      progressing?.reason !== REASON.timedOut &&
      progressing?.lastUpdateTime
    ) {
      const due = Date.parse(progressing.lastUpdateTime) + deadline * 1000 - now;
      if (due >= 0) this.d.queue.addAfter(keyOf(dep), due + 1000);
    }
  }

  /** Writes status through /status when it changed; returns the deployment as written. */
  private async writeStatus(
    dep: DeploymentObject,
    status: DeploymentStatus,
  ): Promise<DeploymentObject | undefined> {
    if (isDeepStrictEqual(plain(status), plain(dep.status))) return undefined;
    const copy = structuredClone(dep) as DeploymentObject;
    copy.status = status;
    try {
      return await this.d.api.updateStatus<DeploymentObject>(DEPLOYMENTS, copy);
    } catch (e) {
      if (isStatusError(e, 'NotFound')) return undefined;
      throw e;
    }
  }
}

/** The deployments a ReplicaSet concerns: its controller, or (an orphan) those whose selector matches. */
function deploymentKeysForReplicaSet(rs: ReplicaSetObject, deployments: Store<DeploymentObject>): string[] {
  const ns = rs.metadata.namespace ?? '';
  const ref = controllerRefOf(rs);
  if (ref) return ref.kind === KIND ? [`${ns}/${ref.name}`] : [];
  return deployments
    .byIndex('namespace', ns)
    .filter((d) => selectorOf(d)?.matches(rs.metadata.labels))
    .map((d) => keyOf(d));
}

export const deploymentEntry: ControllerEntry = {
  name: 'deployment',
  aliases: ['deployment-controller'],
  start(ctx) {
    const deployments = ctx.informers.informerFor<DeploymentObject>(DEPLOYMENTS);
    const replicaSets = ctx.informers.informerFor<ReplicaSetObject>(REPLICA_SETS);
    const pods = ctx.informers.informerFor<PodObject>(PODS);
    const queue = ctx.newQueue();
    deployments.addEventHandler({
      onAdd: (d) => queue.add(keyOf(d)),
      onUpdate: (_o, d) => queue.add(keyOf(d)),
      onDelete: (d) => queue.add(keyOf(d)),
    });
    const forSet = (rs: ReplicaSetObject): void => {
      for (const k of deploymentKeysForReplicaSet(rs, deployments.store)) queue.add(k);
    };
    replicaSets.addEventHandler({
      onAdd: forSet,
      onUpdate: (old, rs) => {
        forSet(old);
        forSet(rs);
      },
      onDelete: forSet,
    });
    // Recreate waits for old pods to be gone.
    pods.addEventHandler({
      onDelete: (pod) => {
        const ref = controllerRefOf(pod);
        if (ref?.kind !== 'ReplicaSet') return;
        const rs = replicaSets.store.get(`${pod.metadata.namespace}/${ref.name}`);
        if (rs) forSet(rs);
      },
    });
    ctx.runWorkers(
      queue,
      new DeploymentController({
        deployments: deployments.store,
        replicaSets: replicaSets.store,
        pods: pods.store,
        api: ctx.api,
        events: ctx.events,
        queue,
        clock: ctx.clock,
        log: ctx.log,
      }),
    );
  },
};
