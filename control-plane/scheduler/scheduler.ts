import type { Pod, PodCondition } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import type { LabelMatcher } from '../../api/labels.js';
import { keyOf } from '../../api/object.js';
import { RESOURCES } from '../../api/resources.js';
import { type Clock, realClock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { rfc3339 } from '../../client/micro-time.js';
import type { ApiClient } from '../../client/rest-client.js';
import type { Store } from '../../client/store.js';
import type { SchedulerCache } from './cache.js';
import { fitErrorMessage } from './fit-error.js';
import {
  CycleState,
  type FilterPlugin,
  type Handle,
  type Plugin,
  SUCCESS,
  type Verdict,
} from './framework.js';
import type { SchedulerMetrics } from './metrics.js';
import type { NodeInfo } from './node-info.js';
import { numFeasibleNodesToFind } from './nodes-to-score.js';
import { Nominator } from './nominator.js';
import { findPreemption, type PreemptionPlan } from './preemption.js';
import type { Profile } from './profile.js';
import type { QueuedPod, SchedulingQueue } from './scheduling-queue.js';

export const PODS = RESOURCES.find(
  (r) => r.plural === 'pods' && r.group === '',
) as (typeof RESOURCES)[number];

/** The filters an attempt runs: all, minus those whose pre-filter said Skip. */
const ACTIVE_FILTERS = 'scheduler/filters';

export type ScheduleResult =
  | { kind: 'scheduled'; node: string; evaluated: number; feasible: number }
  | { kind: 'unschedulable'; message: string; preemption?: PreemptionPlan }
  | { kind: 'error'; message: string };

/** What the scheduler reads from informers besides nodes and pods; defaults suit tests. */
export interface ClusterLookups {
  namespaceLabels(namespace: string): Readonly<Record<string, string>> | undefined;
  namespaceGeneration(): number;
  defaultSelector(pod: Pod): LabelMatcher | undefined;
  priorityOf(pod: Pod): number;
  preemptionPolicyOf(pod: Pod): string;
  /** PodDisruptionBudgets of a namespace, which preemption tries not to break. */
  budgetsIn(namespace: string): readonly PodDisruptionBudget[];
}

export const NO_LOOKUPS: ClusterLookups = {
  budgetsIn: () => [],
  namespaceLabels: () => undefined,
  namespaceGeneration: () => 0,
  defaultSelector: () => undefined,
  priorityOf: (pod) => pod.spec?.priority ?? 0,
  preemptionPolicyOf: (pod) => pod.spec?.preemptionPolicy ?? 'PreemptLowerPriority',
};

export interface SchedulerDeps {
  api: ApiClient;
  log: Logger;
  profile: Profile;
  registry: Readonly<Record<string, (h: Handle) => Plugin>>;
  cache: SchedulerCache;
  queue: SchedulingQueue;
  /** The pod informer's cache: the latest state of each pod. */
  pods: Store<Pod & { metadata: NonNullable<Pod['metadata']> }>;
  events: EventRecorder;
  metrics: SchedulerMetrics;
  lookups?: ClusterLookups;
  nominator?: Nominator;
  clock?: Clock;
  random?: () => number;
}

interface WeightedScorer {
  plugin: Plugin & Required<Pick<Plugin, 'score'>>;
  weight: number;
}

/**
 * One scheduling profile at work: pops a pod, runs the pre-filters, filters nodes (a rotating
 * sample on big clusters), scores the feasible ones, assumes the pod on the best node and binds
 * it in the background; or, when nothing fits, tries preemption, reports why and parks the pod
 * until the cluster changes.
 */
export class Scheduler {
  private readonly filters: (Plugin & Required<Pick<Plugin, 'filter'>>)[];
  private readonly preFilters: (Plugin & Required<Pick<Plugin, 'preFilter'>>)[];
  /** Plugins with pre-filter state that nominated pods and victims must update. */
  private readonly whatIf: Plugin[];
  private readonly preScorers: (Plugin & Required<Pick<Plugin, 'preScore'>>)[];
  private readonly scorers: WeightedScorer[];
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly lookups: ClusterLookups;
  readonly nominator: Nominator;
  private nextStartNodeIndex = 0;
  private readonly bindings = new Set<Promise<void>>();

  constructor(private readonly d: SchedulerDeps) {
    this.clock = d.clock ?? realClock;
    this.random = d.random ?? Math.random;
    this.lookups = d.lookups ?? NO_LOOKUPS;
    this.nominator = d.nominator ?? new Nominator();
    const lookups = this.lookups;
    const handle: Handle = {
      nodeInfos: () => d.cache.nodeInfos(),
      nodeInfo: (name) => d.cache.nodeInfo(name),
      nodesWithAffinity: () => d.cache.nodesWithAffinity(),
      nodesWithRequiredAntiAffinity: () => d.cache.nodesWithRequiredAntiAffinity(),
      changeSeq: () => d.cache.changeSeq,
      changedSince: (seq) => d.cache.changedSince(seq),
      namespaceLabels: (ns) => lookups.namespaceLabels(ns),
      namespaceGeneration: () => lookups.namespaceGeneration(),
      imageNodeCount: (image) => d.cache.imageNodeCount(image),
      defaultSelector: (pod) => lookups.defaultSelector(pod),
      priorityOf: (pod) => lookups.priorityOf(pod),
    };
    const instances = new Map<string, Plugin>();
    const get = (name: string): Plugin => {
      let p = instances.get(name);
      if (!p) {
        const factory = d.registry[name];
        if (!factory) throw new Error(`unknown scheduler plugin ${name}`);
        p = factory(handle);
        instances.set(name, p);
      }
      return p;
    };
    this.filters = d.profile.filters.map((n) => {
      const p = get(n);
      if (!p.filter) throw new Error(`plugin ${n} has no filter`);
      return p as Plugin & Required<Pick<Plugin, 'filter'>>;
    });
    this.preFilters = this.filters.filter((p) => p.preFilter) as typeof this.preFilters;
    this.whatIf = this.filters.filter((p) => p.addPod || p.removePod);
    this.scorers = d.profile.scores.map((s) => {
      const p = get(s.name);
      if (!p.score) throw new Error(`plugin ${s.name} has no score`);
      return { plugin: p as WeightedScorer['plugin'], weight: s.weight };
    });
    this.preScorers = this.scorers.map((s) => s.plugin).filter((p) => p.preScore) as typeof this.preScorers;
  }

  /** Schedules pods until the signal aborts, then waits for bindings in flight. */
  async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const q = await this.d.queue.pop(signal);
      if (!q) break;
      this.scheduleOne(q);
      // Let informer events and binding answers in between pods.
      if (this.d.queue.schedulingCycle % 16 === 0) await new Promise((r) => setImmediate(r));
    }
    await Promise.allSettled([...this.bindings]);
  }

  /** Finds a node for the pod, or a preemption plan (pure decision on the cache). */
  schedulePod(pod: Pod): ScheduleResult {
    const nodes = this.d.cache.nodeInfos();
    const total = nodes.length;
    if (total === 0) return { kind: 'unschedulable', message: 'no nodes available to schedule pods' };
    const state = new CycleState();
    let skipped: Set<Plugin> | undefined;
    for (const p of this.preFilters) {
      const v = p.preFilter(pod, state);
      if (v.code === 'Success') continue;
      if (v.code === 'Skip') {
        skipped ??= new Set();
        skipped.add(p);
        continue;
      }
      if (v.code === 'Error') return { kind: 'error', message: v.reasons.join(', ') };
      {
        const verdicts = new Map(nodes.map((n) => [n.name, v]));
        return {
          kind: 'unschedulable',
          message: fitErrorMessage({ numAllNodes: total, nodeVerdicts: verdicts }),
        };
      }
    }
    if (skipped)
      state.set(
        ACTIVE_FILTERS,
        this.filters.filter((f) => !skipped.has(f)),
      );
    const want = numFeasibleNodesToFind(total, this.d.profile.percentageOfNodesToScore);
    const feasible: NodeInfo[] = [];
    // Rejected nodes and why, kept cheaply: only a pod that fits nowhere needs them.
    const rejected: NodeInfo[] = [];
    const why: Verdict[] = [];
    let processed = 0;
    let index = this.nextStartNodeIndex;
    for (; processed < total && feasible.length < want; processed++) {
      const info = nodes[index];
      if (++index === total) index = 0;
      const verdict = this.filterWithNominated(pod, info, state);
      if (verdict.code === 'Success') feasible.push(info);
      else if (verdict.code === 'Error') return { kind: 'error', message: verdict.reasons.join(', ') };
      else {
        rejected.push(info);
        why.push(verdict);
      }
    }
    this.nextStartNodeIndex = index;
    if (feasible.length === 0) {
      const verdicts = new Map<string, Verdict>();
      for (let i = 0; i < rejected.length; i++) verdicts.set(rejected[i].name, why[i]);
      const preemption = findPreemption({
        pod,
        state,
        nodes,
        verdicts,
        filter: (p, n, s) => this.filterWithNominated(p, n, s),
        plugins: this.whatIf,
        priorityOf: this.lookups.priorityOf,
        preemptionPolicyOf: this.lookups.preemptionPolicyOf,
        budgetsIn: this.lookups.budgetsIn,
      });
      const message = fitErrorMessage({
        numAllNodes: total,
        nodeVerdicts: verdicts,
        postFilterMessage: preemption.message,
      });
      return preemption.plan
        ? { kind: 'unschedulable', message, preemption: preemption.plan }
        : { kind: 'unschedulable', message };
    }
    if (feasible.length === 1)
      return { kind: 'scheduled', node: feasible[0].name, evaluated: processed, feasible: 1 };
    const totals = this.score(pod, feasible, state);
    return {
      kind: 'scheduled',
      node: this.select(feasible, totals),
      evaluated: processed,
      feasible: feasible.length,
    };
  }

  private runFilters(pod: Pod, info: NodeInfo, state: CycleState): Verdict {
    const filters = state.get<FilterPlugin[]>(ACTIVE_FILTERS) ?? this.filters;
    for (const f of filters) {
      const v = f.filter(pod, info, state);
      if (v.code !== 'Success') return v;
    }
    return SUCCESS;
  }

  /**
   * As upstream: when pods of at least this pod's priority are nominated to the node, the pod
   * must fit with them counted there, and also without them (affinity to them must not count).
   */
  private filterWithNominated(pod: Pod, info: NodeInfo, state: CycleState): Verdict {
    if (this.nominator.size > 0) {
      const key = keyOf(pod);
      const priority = this.lookups.priorityOf(pod);
      const nominated = this.nominator
        .podsOn(info.name)
        .filter((p) => keyOf(p) !== key && this.lookups.priorityOf(p) >= priority);
      if (nominated.length > 0) {
        const withThem = info.clone();
        const s = state.clone();
        for (const p of nominated) {
          withThem.addPod(p);
          for (const pl of this.whatIf) pl.addPod?.(s, pod, p, withThem);
        }
        const v = this.runFilters(pod, withThem, s);
        if (v.code !== 'Success') return v;
      }
    }
    return this.runFilters(pod, info, state);
  }

  private score(pod: Pod, nodes: NodeInfo[], state: CycleState): number[] {
    for (const p of this.preScorers) p.preScore(pod, nodes, state);
    const totals = new Array<number>(nodes.length).fill(0);
    const scores = new Array<number>(nodes.length);
    for (const { plugin, weight } of this.scorers) {
      for (let i = 0; i < nodes.length; i++) scores[i] = plugin.score(pod, nodes[i], state);
      plugin.normalizeScores?.(scores, pod, state, nodes);
      for (let i = 0; i < nodes.length; i++) totals[i] += scores[i] * weight;
    }
    return totals;
  }

  /** The best score; ties broken at random (reservoir sampling), as upstream. */
  private select(nodes: NodeInfo[], totals: number[]): string {
    let best = 0;
    let ties = 1;
    for (let i = 1; i < nodes.length; i++) {
      if (totals[i] > totals[best]) {
        best = i;
        ties = 1;
      } else if (totals[i] === totals[best]) {
        ties++;
        if (this.random() * ties < 1) best = i;
      }
    }
    return nodes[best].name;
  }

  private scheduleOne(q: QueuedPod): void {
    const { queue, cache, log, metrics } = this.d;
    const cycle = queue.schedulingCycle;
    const pod = this.d.pods.get(q.key) ?? q.pod;
    if (pod.spec?.nodeName || pod.metadata?.deletionTimestamp || cache.isAssumed(q.key)) {
      queue.done(q.key);
      return;
    }
    q.pod = pod;
    let result: ScheduleResult;
    try {
      result = this.schedulePod(pod);
    } catch (e) {
      result = { kind: 'error', message: (e as Error).message };
    }
    if (result.kind === 'scheduled') {
      cache.assume(pod, result.node);
      this.nominator.delete(q.key);
      queue.done(q.key);
      const p = this.bind(q, pod, result.node).finally(() => this.bindings.delete(p));
      this.bindings.add(p);
      return;
    }
    if (result.kind === 'error') {
      metrics.attempts.inc({ result: 'error' });
      log.warn({ pod: q.key, reason: result.message }, 'scheduling attempt failed');
      queue.addBackoff(q);
      return;
    }
    metrics.attempts.inc({ result: 'unschedulable' });
    log.debug({ pod: q.key, reason: result.message }, 'pod is unschedulable');
    if (result.preemption) this.preempt(pod, result.preemption);
    queue.addUnschedulable(q, cycle);
    this.reportUnschedulable(pod, result.message);
  }

  /**
   * Acts on a preemption plan as upstream: nominates the pod to the node (in memory at once, and
   * in status.nominatedNodeName), takes the nomination from lower-priority pods nominated there,
   * marks each victim with a DisruptionTarget condition, records a Preempted event and deletes it
   * gracefully. The pod itself waits for the victims to go.
   */
  private preempt(pod: Pod, plan: PreemptionPlan): void {
    const { api, events, log, metrics } = this.d;
    const key = keyOf(pod);
    const priority = this.lookups.priorityOf(pod);
    this.nominator.nominate(pod, plan.node);
    metrics.preemptionVictims.observe(plan.victims.length);
    const setNominated = (p: Pod, node: string | null) =>
      api
        .patch(PODS, p.metadata?.name ?? '', { status: { nominatedNodeName: node } }, 'merge', {
          namespace: p.metadata?.namespace,
          subresource: 'status',
        })
        .catch((e: unknown) => {
          if (!isStatusError(e, 'NotFound'))
            log.warn({ err: e, pod: keyOf(p) }, 'cannot write nominatedNodeName');
        });
    void setNominated(pod, plan.node);
    for (const other of this.nominator.podsOn(plan.node)) {
      if (keyOf(other) === key || this.lookups.priorityOf(other) >= priority) continue;
      this.nominator.delete(keyOf(other));
      void setNominated(other, null);
    }
    for (const victim of plan.victims) {
      const ns = victim.metadata?.namespace;
      const name = victim.metadata?.name ?? '';
      events.event(
        podRef(victim),
        'Normal',
        'Preempted',
        `Preempted by pod ${pod.metadata?.uid ?? key} on node ${plan.node}`,
      );
      const condition: PodCondition = {
        type: 'DisruptionTarget',
        status: 'True',
        reason: 'PreemptionByScheduler',
        message: `${this.d.profile.schedulerName}: preempting to accommodate a higher priority pod`,
        lastTransitionTime: rfc3339(this.clock.now()),
      };
      api
        .patch(PODS, name, { status: { conditions: [condition] } }, 'strategic', {
          namespace: ns,
          subresource: 'status',
        })
        .catch(() => undefined)
        .then(() =>
          api.delete(PODS, name, {
            namespace: ns,
            preconditions: { uid: victim.metadata?.uid },
          }),
        )
        .then(
          () => log.info({ pod: key, victim: keyOf(victim), node: plan.node }, 'preempted a pod'),
          (e: unknown) => {
            if (!isStatusError(e, 'NotFound'))
              log.warn({ err: e, victim: keyOf(victim) }, 'cannot delete victim');
          },
        );
    }
  }

  private async bind(q: QueuedPod, pod: Pod, node: string): Promise<void> {
    const { api, cache, queue, metrics, events, log } = this.d;
    const name = pod.metadata?.name ?? '';
    const namespace = pod.metadata?.namespace ?? 'default';
    try {
      await api.subresource('POST', PODS, name, 'binding', {
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Binding',
          metadata: { name, namespace, uid: pod.metadata?.uid },
          target: { apiVersion: 'v1', kind: 'Node', name: node },
        },
      });
    } catch (e) {
      cache.forget(pod);
      metrics.attempts.inc({ result: 'error' });
      if (isStatusError(e, 'NotFound')) {
        queue.done(q.key);
        return;
      }
      log.warn({ err: e, pod: q.key, node }, 'binding failed');
      const latest = this.d.pods.get(q.key);
      if (latest && !latest.spec?.nodeName && !queue.where(q.key)) {
        // The pod left the queue at pop; put it back for another attempt after backoff.
        q.pod = latest;
        queue.addBackoff(q);
      }
      return;
    }
    metrics.attempts.inc({ result: 'scheduled' });
    metrics.e2e.observe((this.clock.now() - q.firstSeen) / 1000);
    events.event(podRef(pod), 'Normal', 'Scheduled', `Successfully assigned ${namespace}/${name} to ${node}`);
  }

  private reportUnschedulable(pod: Pod, message: string): void {
    const { api, events, log } = this.d;
    events.event(podRef(pod), 'Warning', 'FailedScheduling', message);
    const current = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
    if (current?.status === 'False' && current.reason === 'Unschedulable' && current.message === message)
      return;
    const condition: PodCondition = {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message,
      lastTransitionTime:
        current?.status === 'False' ? current.lastTransitionTime : rfc3339(this.clock.now()),
    };
    const name = pod.metadata?.name ?? '';
    api
      .patch(PODS, name, { status: { conditions: [condition] } }, 'strategic', {
        namespace: pod.metadata?.namespace,
        subresource: 'status',
      })
      .catch((e: unknown) => {
        if (!isStatusError(e, 'NotFound'))
          log.warn({ err: e, pod: keyOf(pod) }, 'cannot write PodScheduled condition');
      });
  }
}

function podRef(pod: Pod) {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    uid: pod.metadata?.uid,
    resourceVersion: pod.metadata?.resourceVersion,
  };
}
