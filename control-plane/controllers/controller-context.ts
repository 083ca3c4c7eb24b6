import type { Logger } from 'pino';
import type { ApiClient, Clock, EventRecorder, WorkQueue } from '../../client/index.js';
import type { InformerFactory } from './informer-factory.js';
import type { Syncer } from './run-workers.js';

/** What the controller-manager hands each controller when it starts it. */
export interface ControllerContext {
  /** The entry's name, e.g. `replicaset`. */
  name: string;
  api: ApiClient;
  log: Logger;
  informers: InformerFactory;
  events: EventRecorder;
  clock: Clock;
  /** Aborts when the manager stops or loses leadership. */
  signal: AbortSignal;
  /** A work queue named after the controller (its metrics carry that name). */
  newQueue(): WorkQueue<string>;
  /** Runs workers on `queue` once the informer caches are filled. */
  runWorkers(queue: WorkQueue<string>, controller: Syncer, workers?: number): void;
}

/** One controller as the manager sees it, like a containerd plugin registration. */
export interface ControllerEntry {
  name: string;
  /** Other names accepted in --controllers (upstream's `<name>-controller` spellings). */
  aliases?: string[];
  /** Entries that must be started first; selecting this one without them is an error. */
  requires?: string[];
  /** Started by `*` (default true). */
  defaultOn?: boolean;
  /** Registers informer handlers and queues; must not block. */
  start(ctx: ControllerContext): void;
}
