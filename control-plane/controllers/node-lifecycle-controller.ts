import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { Node, NodeCondition, Taint } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, EventRecorder, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { timestamp } from './controller-ref.js';
import { conditionTaintKeys, isConditionTaint } from './node-condition-taints.js';
import { DEFAULT_ZONE_LIMITS, type ZoneLimits, ZoneTracker, zoneOf } from './node-zones.js';
import type { PodObject } from './replicaset-controller.js';
import { LEASES, NODES, PODS } from './resources.js';
import { NOT_READY_TAINT, toleratedForMs, UNREACHABLE_TAINT } from './taints.js';

type NodeObject = Node & KubeObject;
type LeaseObject = Lease & KubeObject;

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
/** Upstream's --node-monitor-grace-period and --node-monitor-period. */
export const NODE_GRACE_MS = 40_000;
export const NODE_MONITOR_PERIOD_MS = 5_000;

const CONDITIONS_SET_UNKNOWN = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'];
const NODE_INDEX = 'nodeName';

function readyStatus(node: Node): string | undefined {
  return node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
}

/**
 * Watches node heartbeats (the node Lease and the Ready condition): a node silent for the grace
 * period gets Ready=Unknown and the unreachable taints, a Ready=False node the not-ready taints;
 * pods on a node with NoExecute taints are evicted once their toleration runs out.
 *
 * Evictions are paced per zone (region/zone labels) as upstream: NoExecute taints are added at
 * `evictionRate` nodes per second in a healthy zone, at the secondary rate in a partially
 * disrupted large zone (none in a small one), and not at all in a fully disrupted zone. When every
 * zone is fully disrupted (more likely the control plane's network than every node) the NoExecute
 * taints come off and nothing is evicted.
 *
 * Apart from eviction, the NoSchedule taints of upstream's TaintNodesByCondition follow the node's
 * conditions (not-ready, unreachable, memory/disk/pid pressure, network-unavailable) and
 * spec.unschedulable; taints the controller does not own are left alone.
 */
export class NodeLifecycleController {
  /** Per node: the last heartbeat seen and the local time it was first seen. */
  private readonly probes = new Map<string, { heartbeat: string; observedAt: number }>();

  constructor(
    private readonly d: {
      nodes: Store<NodeObject>;
      leases: Store<LeaseObject>;
      pods: Store<PodObject>;
      api: ApiClient;
      events: EventRecorder;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
      gracePeriodMs?: number;
      monitorPeriodMs?: number;
      /** Zone states and taint pacing, fed by node events. */
      zones: ZoneTracker;
    },
  ) {}

  async sync(name: string): Promise<void> {
    const cached = this.d.nodes.get(name);
    if (!cached) {
      this.probes.delete(name);
      this.d.zones.forget(name);
      return;
    }
    const now = this.d.clock.now();
    const grace = this.d.gracePeriodMs ?? NODE_GRACE_MS;
    const lease = this.d.leases.get(`${NODE_LEASE_NAMESPACE}/${name}`);
    const heartbeat = `${lease?.spec?.renewTime ?? ''}|${cached.status?.conditions?.find((c) => c.type === 'Ready')?.lastHeartbeatTime ?? ''}`;
    const probe = this.probes.get(name);
    if (!probe || probe.heartbeat !== heartbeat) this.probes.set(name, { heartbeat, observedAt: now });
    const observedAt = this.probes.get(name)?.observedAt ?? now;

    let node = cached;
    if (now - observedAt > grace && readyStatus(node) !== 'Unknown') {
      node = await this.markUnknown(node, now);
      // Counted at once, so that this very sync sees the zone as it now is.
      this.d.zones.observe(node);
    }
    await this.reconcileTaints(node, now);
    await this.evict(node, now);
    this.d.queue.addAfter(name, this.d.monitorPeriodMs ?? NODE_MONITOR_PERIOD_MS);
  }

  private async markUnknown(node: NodeObject, now: number): Promise<NodeObject> {
    const at = timestamp(now);
    const old = node.status?.conditions ?? [];
    const conditions: NodeCondition[] =
      old.length === 0
        ? [
            {
              type: 'Ready',
              status: 'Unknown',
              reason: 'NodeStatusNeverUpdated',
              message: 'Kubelet never posted node status.',
              lastHeartbeatTime: at,
              lastTransitionTime: at,
            },
          ]
        : old.map((c) =>
            CONDITIONS_SET_UNKNOWN.includes(c.type) && c.status !== 'Unknown'
              ? {
                  ...c,
                  status: 'Unknown',
                  reason: 'NodeStatusUnknown',
                  message: 'Kubelet stopped posting node status.',
                  lastTransitionTime: at,
                }
              : c,
          );
    const copy = { ...structuredClone(node), status: { ...(node.status ?? {}), conditions } } as NodeObject;
    const updated = await this.d.api.updateStatus<NodeObject>(NODES, copy);
    this.d.log.info({ node: node.metadata.name }, 'node stopped posting status, marked Unknown');
    this.d.events.event(
      node,
      'Normal',
      'NodeNotReady',
      `Node ${node.metadata.name} status is now: NodeNotReady`,
    );
    return updated;
  }

  /** Whether NoExecute taints (and so evictions) may exist in the node's zone now. */
  private noExecuteAllowed(node: NodeObject): boolean {
    const zones = this.d.zones;
    return !zones.allFullyDisrupted() && zones.stateOf(zoneOf(node)) !== 'FullDisruption';
  }

  private async reconcileTaints(node: NodeObject, now: number): Promise<void> {
    const status = readyStatus(node);
    const wanted: Taint[] = [];
    const at = timestamp(now);
    const existing = node.spec?.taints ?? [];
    const keep = (key: string, effect: 'NoExecute' | 'NoSchedule'): Taint =>
      existing.find((t) => t.key === key && t.effect === effect) ??
      (effect === 'NoExecute' ? { key, effect, timeAdded: at } : { key, effect });
    // TaintNodesByCondition: NoSchedule taints follow the conditions and spec.unschedulable as they are.
    for (const key of conditionTaintKeys(node)) wanted.push(keep(key, 'NoSchedule'));
    const key = status === 'Unknown' ? UNREACHABLE_TAINT : status === 'False' ? NOT_READY_TAINT : undefined;
    const eviction = (t: Taint) =>
      t.effect === 'NoExecute' && (t.key === UNREACHABLE_TAINT || t.key === NOT_READY_TAINT);
    const ours = (t: Taint) => eviction(t) || isConditionTaint(t);
    if (key && this.noExecuteAllowed(node)) {
      // Swapping not-ready for unreachable (or back) is free; a new NoExecute taint takes the zone's token.
      const tainted = existing.some(eviction);
      const token = tainted ? true : this.d.zones.takeTaintToken(zoneOf(node), now);
      if (token === true) wanted.push(keep(key, 'NoExecute'));
      else if (Number.isFinite(token)) this.d.queue.addAfter(node.metadata.name ?? '', token + 10);
    }
    const next = [...existing.filter((t) => !ours(t)), ...wanted];
    const same =
      next.length === existing.length &&
      next.every((t) =>
        existing.some((e) => e.key === t.key && e.effect === t.effect && e.value === t.value),
      );
    if (same) return;
    const copy = structuredClone(node) as NodeObject;
    copy.spec = { ...(copy.spec ?? {}), taints: next };
    if (next.length === 0) delete copy.spec.taints;
    try {
      await this.d.api.update(NODES, copy);
    } catch (e) {
      if (!isStatusError(e, 'Conflict') && !isStatusError(e, 'NotFound')) throw e;
      this.d.queue.addAfter(node.metadata.name ?? '', 200);
    }
  }

  private async evict(node: NodeObject, now: number): Promise<void> {
    const taints = (node.spec?.taints ?? []).filter((t) => t.effect === 'NoExecute');
    if (taints.length === 0 || !this.noExecuteAllowed(node)) return;
    const since = Math.min(...taints.map((t) => Date.parse(t.timeAdded ?? '') || now));
    let nextDue = Number.POSITIVE_INFINITY;
    for (const pod of this.d.pods.byIndex(NODE_INDEX, node.metadata.name ?? '')) {
      if (pod.metadata.deletionTimestamp) continue;
      const phase = pod.status?.phase;
      if (phase === 'Succeeded' || phase === 'Failed') continue;
      const allowed = toleratedForMs(pod.spec?.tolerations ?? [], taints);
      const due = since + allowed;
      if (due > now) {
        nextDue = Math.min(nextDue, due);
        continue;
      }
      try {
        await this.d.api.delete(PODS, pod.metadata.name ?? '', {
          namespace: pod.metadata.namespace,
          preconditions: { uid: pod.metadata.uid },
        });
        this.d.events.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${keyOf(pod)}`);
      } catch (e) {
        if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
      }
    }
    if (Number.isFinite(nextDue)) this.d.queue.addAfter(node.metadata.name ?? '', nextDue - now + 50);
  }
}

/** The node lifecycle entry; tests shorten the grace and monitor periods. */
export function nodeLifecycleEntry(
  opts: { gracePeriodMs?: number; monitorPeriodMs?: number; zoneLimits?: Partial<ZoneLimits> } = {},
): ControllerEntry {
  return {
    name: 'nodelifecycle',
    aliases: ['node-lifecycle-controller'],
    start(ctx) {
      const nodes = ctx.informers.informerFor<NodeObject>(NODES);
      const leases = ctx.informers.informerFor<LeaseObject>(LEASES);
      const pods = ctx.informers.informerFor<PodObject>(PODS);
      const queue = ctx.newQueue();
      const zones = new ZoneTracker({ ...DEFAULT_ZONE_LIMITS, ...opts.zoneLimits });
      // Zone counts first, so that the syncs these events cause see them.
      nodes.addEventHandler({
        onAdd: (n) => zones.observe(n),
        onUpdate: (_o, n) => zones.observe(n),
        onDelete: (n) => zones.forget(n.metadata.name ?? ''),
      });
      nodes.addEventHandler({
        onAdd: (n) => queue.add(n.metadata.name ?? ''),
        onUpdate: (_o, n) => queue.add(n.metadata.name ?? ''),
        onDelete: (n) => queue.add(n.metadata.name ?? ''),
      });
      leases.addEventHandler({
        onUpdate: (_o, l) => {
          if (l.metadata.namespace === NODE_LEASE_NAMESPACE) queue.add(l.metadata.name ?? '');
        },
      });
      pods.addEventHandler({
        onAdd: (p) => {
          if (p.spec?.nodeName) queue.add(p.spec.nodeName);
        },
      });
      ctx.runWorkers(
        queue,
        new NodeLifecycleController({
          nodes: nodes.store,
          leases: leases.store,
          pods: podsByNode(pods.store),
          api: ctx.api,
          events: ctx.events,
          queue,
          clock: ctx.clock,
          log: ctx.log,
          gracePeriodMs: opts.gracePeriodMs,
          monitorPeriodMs: opts.monitorPeriodMs,
          zones,
        }),
      );
    },
  };
}

/** A view of the pod store answering the `nodeName` index by scanning (the shared informer has no such index). */
function podsByNode(store: Store<PodObject>): Store<PodObject> {
  return {
    get: (k) => store.get(k),
    list: () => store.list(),
    keys: () => store.keys(),
    get size() {
      return store.size;
    },
    byIndex: (index, value) =>
      index === NODE_INDEX
        ? store.list().filter((p) => p.spec?.nodeName === value)
        : store.byIndex(index, value),
  };
}
