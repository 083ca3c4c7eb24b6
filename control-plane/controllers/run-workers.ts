import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import type { WorkQueue } from '../../client/index.js';
import { syncCounter } from './controller-metrics.js';

export interface Syncer {
  sync(key: string): Promise<void>;
}

export interface RunWorkersOptions {
  /** The controller's name: metrics label and log field. */
  name: string;
  queue: WorkQueue<string>;
  controller: Syncer;
  workers: number;
  signal: AbortSignal;
  log: Logger;
  /** Workers start only once this resolves (informer caches filled). */
  ready: Promise<void>;
}

/**
 * Runs `workers` loops taking keys from the queue: success forgets the key's backoff, failure
 * puts it back rate-limited. Ends when the signal aborts and the workers have finished.
 */
export async function runWorkers(o: RunWorkersOptions): Promise<void> {
  const onAbort = (): void => o.queue.shutDown();
  o.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await o.ready;
  } catch {
    return;
  }
  const counter = syncCounter();
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = await o.queue.get();
      if (key === undefined) return;
      try {
        await o.controller.sync(key);
        o.queue.forget(key);
        counter.inc({ controller: o.name, result: 'success' });
      } catch (e) {
        counter.inc({ controller: o.name, result: 'error' });
        if (!o.signal.aborted) {
          // A conflict only means the cache was behind: routine, retried quietly.
          if (isStatusError(e, 'Conflict')) o.log.debug({ key }, 'sync hit a conflict, will retry');
          else o.log.warn({ err: e, key, requeues: o.queue.numRequeues(key) }, 'sync failed, will retry');
          o.queue.addRateLimited(key);
        }
      } finally {
        o.queue.done(key);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, o.workers) }, worker));
}
