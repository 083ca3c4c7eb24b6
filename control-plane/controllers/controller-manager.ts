import { hostname } from 'node:os';
import type { Logger } from 'pino';
import {
  type ApiClient,
  type Clock,
  EventRecorder,
  LeaderElector,
  realClock,
  WorkQueue,
} from '../../client/index.js';
import type { ControllerContext, ControllerEntry } from './controller-context.js';
import { cronJobEntry } from './cronjob-controller.js';
import { daemonSetEntry } from './daemonset-controller.js';
import { deploymentEntry } from './deployment-controller.js';
import { disruptionEntry } from './disruption-controller.js';
import { endpointsEntry } from './endpoints-controller.js';
import { endpointSliceEntry } from './endpointslice-controller.js';
import { endpointSliceMirroringEntry } from './endpointslice-mirroring-controller.js';
import { garbageCollectorEntry } from './garbage-collector.js';
import { InformerFactory } from './informer-factory.js';
import { jobEntry } from './job-controller.js';
import { namespaceEntry } from './namespace-controller.js';
import { nodeIpamEntry } from './node-ipam-controller.js';
import { nodeLifecycleEntry } from './node-lifecycle-controller.js';
import { podGcDefaultEntry } from './podgc-controller.js';
import { replicaSetEntry } from './replicaset-controller.js';
import { runWorkers } from './run-workers.js';
import { selectControllers } from './select-controllers.js';
import { serviceAccountEntry } from './serviceaccount-controller.js';

/** Every controller this manager knows, in start order. */
export function defaultControllers(opts: { clusterCidr?: string } = {}): ControllerEntry[] {
  return [
    namespaceEntry,
    serviceAccountEntry,
    garbageCollectorEntry,
    replicaSetEntry,
    deploymentEntry,
    disruptionEntry,
    daemonSetEntry,
    endpointsEntry,
    endpointSliceEntry,
    endpointSliceMirroringEntry,
    podGcDefaultEntry,
    jobEntry(),
    cronJobEntry,
    nodeLifecycleEntry(),
    nodeIpamEntry({ clusterCidr: opts.clusterCidr }),
  ];
}

export const CONTROLLERS: readonly ControllerEntry[] = defaultControllers();

export const LEASE_NAMESPACE = 'kube-system';
export const LEASE_NAME = 'kube-controller-manager';

export interface ControllerManagerOptions {
  api: ApiClient;
  log: Logger;
  signal: AbortSignal;
  /** `--controllers` items: `*`, `name`, `-name`. Default `['*']`. */
  controllers?: string[];
  /** Campaign for the kube-system/kube-controller-manager Lease first. Default false. */
  leaderElect?: boolean;
  /** Leader election identity. Default `<hostname>_<random>`. */
  identity?: string;
  /** Workers per controller. Default 5. */
  workers?: number;
  clock?: Clock;
  /** Pod CIDRs for nodes (node IPAM). Default 10.244.0.0/16, a /24 per node. */
  clusterCidr?: string;
  /** Overrides the entry list (tests). */
  entries?: readonly ControllerEntry[];
  /** Leader election timing (tests shorten it). */
  leaseDurationMs?: number;
  renewDeadlineMs?: number;
  retryPeriodMs?: number;
}

/**
 * Runs the selected controllers until `signal` aborts (with leader election: while leading;
 * losing the lease stops them and campaigns again). Resolves once everything has stopped;
 * rejects at once for an invalid controller selection.
 */
export async function startControllerManager(opts: ControllerManagerOptions): Promise<void> {
  const selected = selectControllers(
    opts.entries ?? defaultControllers({ clusterCidr: opts.clusterCidr }),
    opts.controllers ?? ['*'],
  );
  const log = opts.log.child({ component: 'controller-manager' });
  log.info({ controllers: selected.map((e) => e.name) }, 'controllers selected');
  if (!opts.leaderElect) {
    await runControllers(opts, selected, log, opts.signal);
    return;
  }
  const identity = opts.identity ?? `${hostname()}_${crypto.randomUUID()}`;
  while (!opts.signal.aborted) {
    const elector = new LeaderElector({
      api: opts.api,
      namespace: LEASE_NAMESPACE,
      name: LEASE_NAME,
      identity,
      leaseDurationMs: opts.leaseDurationMs,
      renewDeadlineMs: opts.renewDeadlineMs,
      retryPeriodMs: opts.retryPeriodMs,
      clock: opts.clock,
      log,
      onStartedLeading: (leading) => runControllers(opts, selected, log, leading),
      onNewLeader: (holder) => log.info({ leader: holder }, 'new leader observed'),
    });
    await elector.run(opts.signal);
  }
}

async function runControllers(
  opts: ControllerManagerOptions,
  selected: readonly ControllerEntry[],
  log: Logger,
  signal: AbortSignal,
): Promise<void> {
  const clock = opts.clock ?? realClock;
  const informers = new InformerFactory(opts.api, log, clock);
  const running: Promise<void>[] = [];
  const recorders: EventRecorder[] = [];
  let markReady: () => void = () => {};
  let markFailed: (e: unknown) => void = () => {};
  const ready = new Promise<void>((resolve, reject) => {
    markReady = resolve;
    markFailed = reject;
  });
  ready.catch(() => {});
  for (const entry of selected) {
    const clog = log.child({ controller: entry.name });
    const events = new EventRecorder({
      api: opts.api,
      component: `${entry.name}-controller`,
      clock,
      log: clog,
    });
    recorders.push(events);
    const ctx: ControllerContext = {
      name: entry.name,
      api: opts.api,
      log: clog,
      informers,
      events,
      clock,
      signal,
      newQueue: () => new WorkQueue<string>({ name: entry.name, clock }),
      runWorkers: (queue, controller, workers) => {
        running.push(
          runWorkers({
            name: entry.name,
            queue,
            controller,
            workers: workers ?? opts.workers ?? 5,
            signal,
            log: clog,
            ready,
          }),
        );
      },
    };
    entry.start(ctx);
  }
  informers.start(signal);
  informers.waitForSync(signal).then(
    () => {
      log.info('informer caches synced, controllers running');
      markReady();
    },
    (e) => markFailed(e),
  );
  await Promise.all([...running, aborted(signal)]);
  await Promise.all(recorders.map((r) => r.close()));
  log.info('controllers stopped');
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
