import type { Etcd3, IEvent, IWatchResponse, Watcher } from 'etcd3';
import type { Logger } from 'pino';
import type { KubeObject } from '../../api/object.js';
import { isCompactedError, toStorageError } from './etcd-errors.js';
import { etcdWatches } from './storage-metrics.js';
import { StorageError } from './store.js';
import { bookmark, changeFromEtcd, eventFor } from './watch-events.js';
import type { WatchQueue } from './watch-queue.js';

export interface EtcdWatchHandlers {
  /** Events of one etcd response (all at one revision or ascending), with the response header revision. */
  onEvents(events: IEvent[], headerRevision: number): void;
  /** The watch was cancelled by etcd; `compacted` when its start revision is gone. */
  onCancel(error: Error, compacted: boolean): void;
}

/** Counts the watches skiff holds on etcd (tests assert that watchers share them). */
export const etcdWatchCounter = { open: 0, opened: 0 };

/** Opens an etcd watch on a prefix (ending in '/') or an exact key, from `fromRevision` inclusive, with previous values. */
export function openEtcdWatch(
  client: Etcd3,
  target: string,
  fromRevision: number,
  handlers: EtcdWatchHandlers,
  log: Logger,
): { cancel(): void } {
  const builder = client.watch().withPreviousKV().startRevision(String(fromRevision));
  const watcher: Watcher = (target.endsWith('/') ? builder.prefix(target) : builder.key(target)).watcher();
  etcdWatchCounter.open++;
  etcdWatchCounter.opened++;
  etcdWatches.inc();
  let cancelled = false;
  const release = () => {
    if (cancelled) return;
    cancelled = true;
    etcdWatchCounter.open--;
    etcdWatches.dec();
  };
  watcher.on('data', (res: IWatchResponse) => {
    if (cancelled) return;
    if (res.events.length > 0) handlers.onEvents(res.events, Number(res.header.revision));
    else handlers.onEvents([], Number(res.header.revision));
  });
  watcher.on('disconnected', (err: Error) =>
    log.debug({ target, err: err.message }, 'etcd watch disconnected, reconnecting'),
  );
  watcher.on('error', (err: Error) => {
    if (cancelled) return;
    // etcd cancels a watch whose start revision was compacted with compact_revision set and no
    // cancel_reason; the etcd3 client surfaces that as "Watcher canceled: " with nothing after.
    const compacted =
      isCompactedError(err) || /compact/i.test(err.message) || /Watcher canceled:\s*$/.test(err.message);
    // etcd already dropped this watch (the client detached it): cancelling it again would make
    // the client look up a watcher it no longer knows when etcd answers.
    release();
    const error = compacted
      ? new StorageError(
          'Expired',
          target,
          'too old resource version: the requested revision has been compacted',
          { cause: err },
        )
      : toStorageError(err, target);
    handlers.onCancel(error, compacted);
  });
  return {
    cancel() {
      if (cancelled) return;
      release();
      watcher.cancel().catch(() => undefined);
    },
  };
}

/**
 * A watch served straight from etcd, for start revisions older than the watch cache's window:
 * etcd replays from there, or answers that the revision was compacted (Expired).
 */
export function directWatch(
  client: Etcd3,
  target: string,
  afterRevision: number,
  queue: WatchQueue,
  opts: {
    predicate?: (o: KubeObject) => boolean;
    bookmarks?: boolean;
    bookmarkIntervalMs: number;
    log: Logger;
  },
): void {
  let lastRevision = afterRevision;
  const w = openEtcdWatch(
    client,
    target,
    afterRevision + 1,
    {
      onEvents(events, headerRevision) {
        for (const ev of events) {
          const change = changeFromEtcd(ev);
          if (!change) continue;
          lastRevision = Math.max(lastRevision, change.revision);
          const out = eventFor(change, opts.predicate);
          if (out && !queue.push(out)) return;
        }
        if (events.length === 0) lastRevision = Math.max(lastRevision, headerRevision);
      },
      onCancel(error) {
        queue.fail(error);
      },
    },
    opts.log,
  );
  let timer: NodeJS.Timeout | undefined;
  if (opts.bookmarks) {
    timer = setInterval(() => queue.push(bookmark(lastRevision)), opts.bookmarkIntervalMs);
    timer.unref();
  }
  queue.onEnd(() => {
    if (timer) clearInterval(timer);
    w.cancel();
  });
}
