import { hostname } from 'node:os';
import type { ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { Namespace, Node, Pod, Service } from 'kubernetes-types/core/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { Logger } from 'pino';
import { type KubeObject, keyOf } from '../../api/object.js';
import { RESOURCES } from '../../api/resources.js';
import type { Clock } from '../../client/clock.js';
import { EventRecorder } from '../../client/event-recorder.js';
import { Informer } from '../../client/informer.js';
import { LeaderElector } from '../../client/leader-election.js';
import type { ApiClient } from '../../client/rest-client.js';
import { NAMESPACE_INDEX } from '../../client/store.js';
import { isTerminal, SchedulerCache } from './cache.js';
import { defaultSelector } from './default-selector.js';
import type { PluginFactory } from './framework.js';
import { reportQueueLengths, schedulerMetrics } from './metrics.js';
import { nodeSchedulingPropertiesChanged } from './node-events.js';
import { Nominator } from './nominator.js';
import { resolvePreemptionPolicy, resolvePriority } from './priority.js';
import { DEFAULT_SCHEDULER_NAME, defaultProfile, type Profile } from './profile.js';
import { defaultRegistry } from './registry.js';
import { type ClusterLookups, PODS, Scheduler } from './scheduler.js';
import { SchedulingQueue } from './scheduling-queue.js';

type ResourceDef = (typeof RESOURCES)[number];
const resource = (plural: string, group: string): ResourceDef => {
  const r = RESOURCES.find((x) => x.plural === plural && x.group === group);
  if (!r) throw new Error(`no resource ${group}/${plural}`);
  return r;
};
const NODES = resource('nodes', '');

type PodObject = Pod & { metadata: NonNullable<Pod['metadata']> };
type NodeObject = Node & { metadata: NonNullable<Node['metadata']> };

export interface SchedulerOptions {
  api: ApiClient;
  log: Logger;
  signal: AbortSignal;
  leaderElect?: boolean;
  identity?: string;
  schedulerName?: string;
  /** A profile from `--config`; overrides schedulerName. */
  profile?: Profile;
  registry?: Readonly<Record<string, PluginFactory>>;
  clock?: Clock;
  /** Leader election timing (tests shorten it). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Runs the scheduler until the signal aborts. With `leaderElect`, only the holder of the Lease
 * kube-system/kube-scheduler schedules; the others wait to take over.
 */
export async function startScheduler(opts: SchedulerOptions): Promise<void> {
  const log = opts.log.child({ component: 'scheduler' });
  const profile = opts.profile ?? defaultProfile(opts.schedulerName ?? DEFAULT_SCHEDULER_NAME);
  const registry = opts.registry ?? defaultRegistry;
  for (const n of [...profile.filters, ...profile.scores.map((s) => s.name)]) {
    if (!registry[n]) throw new Error(`scheduler: unknown plugin "${n}"`);
  }
  if (!opts.leaderElect) {
    await runScheduling(opts, profile, registry, log, opts.signal);
    return;
  }
  const identity = opts.identity ?? `${hostname()}_${crypto.randomUUID()}`;
  while (!opts.signal.aborted) {
    const elector = new LeaderElector({
      api: opts.api,
      namespace: 'kube-system',
      name: 'kube-scheduler',
      identity,
      leaseDurationMs: opts.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
      clock: opts.clock,
      log,
      onStartedLeading: (leading) => runScheduling(opts, profile, registry, log, leading),
      onNewLeader: (who) => log.info({ leader: who }, 'scheduler leader observed'),
    });
    await elector.run(opts.signal);
    if (!opts.signal.aborted) log.warn('lost scheduler leadership, campaigning again');
  }
}

async function runScheduling(
  opts: SchedulerOptions,
  profile: Profile,
  registry: Readonly<Record<string, PluginFactory>>,
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const { api, clock } = opts;
  const metrics = schedulerMetrics();
  const cache = new SchedulerCache();
  const lookups = clusterLookups(api, clock, log);
  const nominator = new Nominator();
  const queue = new SchedulingQueue({ clock, priorityOf: lookups.lookups.priorityOf });
  const events = new EventRecorder({ api, component: profile.schedulerName, clock, log });
  // Terminal pods hold nothing; leaving them out keeps the cache small. A pod that finishes
  // arrives as a delete, which also wakes pods waiting for room.
  const pods = new Informer<PodObject>(api, PODS, {
    clock,
    log,
    fieldSelector: 'status.phase!=Succeeded,status.phase!=Failed',
  });
  const nodes = new Informer<NodeObject>(api, NODES, { clock, log });
  const ours = (p: Pod): boolean =>
    (p.spec?.schedulerName ?? DEFAULT_SCHEDULER_NAME) === profile.schedulerName &&
    !p.spec?.nodeName &&
    !p.metadata?.deletionTimestamp &&
    !isTerminal(p);

  nodes.addEventHandler({
    onAdd: (n) => {
      cache.setNode(n);
      queue.moveAll();
    },
    onUpdate: (old, n) => {
      cache.setNode(n);
      if (nodeSchedulingPropertiesChanged(old, n)) queue.moveAll();
    },
    onDelete: (n) => cache.removeNode(n.metadata.name ?? ''),
  });
  pods.addEventHandler({
    onAdd: (p) => {
      cache.setPod(p);
      nominator.fromPod(p);
      if (ours(p)) queue.add(p);
      else if (p.spec?.nodeName && !isTerminal(p)) queue.moveMatching(waitsForOtherPods);
    },
    onUpdate: (old, p) => {
      const key = keyOf(p);
      cache.setPod(p);
      nominator.fromPod(p, old);
      if (old.spec?.nodeName && !isTerminal(old) && isTerminal(p)) queue.moveAll();
      if (!old.spec?.nodeName && p.spec?.nodeName) queue.moveMatching(waitsForOtherPods);
      if (ours(p)) {
        if (!cache.isAssumed(key)) queue.update(p);
      } else {
        queue.delete(key);
      }
    },
    onDelete: (p) => {
      const key = keyOf(p);
      const wasCounted = !!p.spec?.nodeName || cache.isAssumed(key);
      cache.removePod(key);
      nominator.delete(key);
      queue.delete(key);
      if (wasCounted) queue.moveAll();
    },
  });

  const scheduler = new Scheduler({
    api,
    log,
    profile,
    registry,
    cache,
    queue,
    pods: pods.store,
    events,
    metrics,
    lookups: lookups.lookups,
    nominator,
    clock,
  });
  const all = [pods, nodes, ...lookups.informers];
  const informers = all.map((i) => i.start(signal));
  const unreport = reportQueueLengths(() => queue.lengths());
  try {
    await Promise.all(all.map((i) => i.waitForSync(signal)));
    log.info({ schedulerName: profile.schedulerName, nodes: cache.nodeCount }, 'scheduler started');
    queue.run();
    await scheduler.run(signal);
  } catch (e) {
    if (!signal.aborted) throw e;
  } finally {
    unreport();
    queue.close();
    await Promise.allSettled(informers);
    await events.close();
  }
}

/** Pods that a newly placed pod can help: required pod affinity, or topology spread. */
function waitsForOtherPods(pod: Pod): boolean {
  const required = pod.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  return (required?.length ?? 0) > 0 || (pod.spec?.topologySpreadConstraints?.length ?? 0) > 0;
}

/**
 * Informers for what plugins look up besides nodes and pods: namespace labels
 * (namespaceSelector), PriorityClasses (queue order, preemption), PodDisruptionBudgets
 * (preemption) and the Services, ReplicaSets and StatefulSets behind the default spread selector.
 */
function clusterLookups(
  api: ApiClient,
  clock: Clock | undefined,
  log: Logger,
): { lookups: ClusterLookups; informers: Informer<KubeObject>[] } {
  const make = <T extends KubeObject>(plural: string, group: string) =>
    new Informer<T>(api, resource(plural, group), { clock, log });
  const namespaces = make<Namespace & KubeObject>('namespaces', '');
  let namespaceGeneration = 0;
  const bump = (): void => {
    namespaceGeneration++;
  };
  namespaces.addEventHandler({ onAdd: bump, onUpdate: bump, onDelete: bump });
  const classes = make<PriorityClass & KubeObject>('priorityclasses', 'scheduling.k8s.io');
  const services = make<Service & KubeObject>('services', '');
  const rss = make<ReplicaSet & KubeObject>('replicasets', 'apps');
  const sss = make<StatefulSet & KubeObject>('statefulsets', 'apps');
  const pdbs = make<PodDisruptionBudget & KubeObject>('poddisruptionbudgets', 'policy');
  const priorityClasses = { get: (n: string) => classes.store.get(n), list: () => classes.store.list() };
  const sources = {
    services: (ns: string) => services.store.byIndex(NAMESPACE_INDEX, ns),
    // ReplicationControllers are not served by skiff.
    replicationController: () => undefined,
    replicaSet: (ns: string, n: string) => rss.store.get(`${ns}/${n}`),
    statefulSet: (ns: string, n: string) => sss.store.get(`${ns}/${n}`),
  };
  return {
    lookups: {
      namespaceLabels: (ns) => namespaces.store.get(ns)?.metadata?.labels,
      namespaceGeneration: () => namespaceGeneration,
      defaultSelector: (pod) => defaultSelector(pod, sources),
      priorityOf: (pod) => resolvePriority(pod, priorityClasses),
      preemptionPolicyOf: (pod) => resolvePreemptionPolicy(pod, priorityClasses),
      budgetsIn: (ns) => pdbs.store.byIndex(NAMESPACE_INDEX, ns),
    },
    informers: [namespaces, classes, services, rss, sss, pdbs] as unknown as Informer<KubeObject>[],
  };
}
