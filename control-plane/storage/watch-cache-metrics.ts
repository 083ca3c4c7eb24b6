import { Histogram, register } from 'prom-client';

const NAME = 'skiff_storage_watch_cache_dispatch_seconds';

/**
 * From a change reaching a watch cache to the end of the event-loop turn that handed it to its
 * watchers (their streams write within that turn), for changes that reached at least one.
 */
export const watchCacheDispatch =
  (register.getSingleMetric(NAME) as Histogram | undefined) ??
  new Histogram({
    name: NAME,
    help: 'Time for a watch cache to hand a change to every watcher of the resource, by resource',
    labelNames: ['resource'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 0.5, 1],
  });
