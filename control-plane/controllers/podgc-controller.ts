import type { Node } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { compareStrings } from '../../api/compare-strings.js';
import { isStatusError } from '../../api/errors.js';
import { type KubeObject, keyOf } from '../../api/object.js';
import type { ApiClient, Clock, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import type { PodObject } from './replicaset-controller.js';
import { NODES, PODS } from './resources.js';

type NodeObject = Node & KubeObject;

/** Upstream's defaults: --terminated-pod-gc-threshold, gcCheckPeriod, the orphan quarantine. */
export const TERMINATED_POD_THRESHOLD = 12_500;
export const GC_PERIOD_MS = 20_000;
export const NODE_QUARANTINE_MS = 40_000;

/** The one key of the pod GC queue: each sync looks at every pod. */
export const POD_GC_KEY = 'pods';

/**
 * Deletes pods nobody else will: terminated pods beyond the threshold (oldest first), pods bound
 * to nodes that have been missing for the quarantine period, and terminating pods never scheduled.
 */
export type { NodeObject };

export class PodGarbageCollector {
  private readonly missingSince = new Map<string, number>();

  constructor(
    private readonly d: {
      pods: Store<PodObject>;
      nodes: Store<NodeObject>;
      api: ApiClient;
      clock: Clock;
      log: Logger;
      threshold?: number;
      quarantineMs?: number;
    },
  ) {}

  async sync(_key: string): Promise<void> {
    const pods = this.d.pods.list();
    await this.gcTerminated(pods);
    await this.gcOrphaned(pods);
    for (const pod of pods) {
      if (pod.metadata.deletionTimestamp && !pod.spec?.nodeName)
        await this.forceDelete(pod, 'unscheduled terminating pod');
    }
  }

  private async gcTerminated(pods: PodObject[]): Promise<void> {
    const threshold = this.d.threshold ?? TERMINATED_POD_THRESHOLD;
    if (threshold <= 0) return;
    const done = pods.filter(
      (p) =>
        (p.status?.phase === 'Succeeded' || p.status?.phase === 'Failed') && !p.metadata.deletionTimestamp,
    );
    const excess = done.length - threshold;
    if (excess <= 0) return;
    done.sort((a, b) =>
      compareStrings(a.metadata.creationTimestamp ?? '', b.metadata.creationTimestamp ?? ''),
    );
    for (const pod of done.slice(0, excess)) await this.forceDelete(pod, 'terminated pod over the threshold');
  }

  private async gcOrphaned(pods: PodObject[]): Promise<void> {
    const now = this.d.clock.now();
    const quarantine = this.d.quarantineMs ?? NODE_QUARANTINE_MS;
    const missing = new Set<string>();
    for (const node of new Set(pods.map((p) => p.spec?.nodeName).filter((n): n is string => Boolean(n)))) {
      if (this.d.nodes.get(node)) {
        this.missingSince.delete(node);
        continue;
      }
      const since = this.missingSince.get(node);
      if (since === undefined) {
        this.missingSince.set(node, now);
        continue;
      }
      if (now - since < quarantine) continue;
      // The cache may lag: ask the API before deleting anything.
      try {
        await this.d.api.get(NODES, node);
        this.missingSince.delete(node);
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
        missing.add(node);
      }
    }
    for (const node of this.missingSince.keys()) {
      if (!pods.some((p) => p.spec?.nodeName === node)) this.missingSince.delete(node);
    }
    for (const pod of pods) {
      if (pod.spec?.nodeName && missing.has(pod.spec.nodeName))
        await this.forceDelete(pod, 'pod bound to a missing node');
    }
  }

  private async forceDelete(pod: PodObject, why: string): Promise<void> {
    this.d.log.info({ pod: keyOf(pod), why }, 'deleting pod');
    try {
      await this.d.api.delete(PODS, pod.metadata.name ?? '', {
        namespace: pod.metadata.namespace,
        gracePeriodSeconds: 0,
        preconditions: { uid: pod.metadata.uid },
      });
    } catch (e) {
      if (!isStatusError(e, 'NotFound') && !isStatusError(e, 'Conflict')) throw e;
    }
  }
}

/** Options of the pod GC entry (tests shorten the periods). */
export function podGcEntry(
  opts: { periodMs?: number; quarantineMs?: number; threshold?: number } = {},
): ControllerEntry {
  return {
    name: 'podgc',
    aliases: ['pod-garbage-collector-controller'],
    start(ctx) {
      const pods = ctx.informers.informerFor<PodObject>(PODS);
      const nodes = ctx.informers.informerFor<NodeObject>(NODES);
      const queue: WorkQueue<string> = ctx.newQueue();
      const period = opts.periodMs ?? GC_PERIOD_MS;
      const tick = (): void => {
        if (ctx.signal.aborted) return;
        queue.add(POD_GC_KEY);
        timer = ctx.clock.setTimeout(tick, period);
      };
      let timer = ctx.clock.setTimeout(tick, period);
      ctx.signal.addEventListener('abort', () => ctx.clock.clearTimeout(timer), { once: true });
      queue.add(POD_GC_KEY);
      ctx.runWorkers(
        queue,
        new PodGarbageCollector({
          pods: pods.store,
          nodes: nodes.store,
          api: ctx.api,
          clock: ctx.clock,
          log: ctx.log,
          threshold: opts.threshold,
          quarantineMs: opts.quarantineMs,
        }),
        1,
      );
    },
  };
}

export const podGcDefaultEntry: ControllerEntry = podGcEntry();
