import type { StoreEvent, StoreWatch } from './store.js';

/**
 * A watch consumer's synchronous intake. `offer` takes one event (true) or refuses it (false:
 * the consumer is backed up or done), in which case the event goes to the watch's bounded queue
 * as usual. `consumed` counts the events the consumer has read from `watch.events` and finished
 * with, so the cache knows when nothing it queued is still on its way.
 */
export interface WatchSink {
  /** `batch`: more events of one etcd response may follow; `flush` comes after the last. */
  offer(event: StoreEvent, batch: boolean): boolean;
  /** Ends a batch: whatever the sink held back for it goes out now. */
  flush?(): void;
  readonly consumed: number;
}

const sinks = new WeakMap<StoreWatch, WatchSink>();

/**
 * Offers a watch-cache watch a synchronous consumer: whenever every event the cache queued for
 * the watch has been consumed, the cache hands the next one to `sink.offer` inside its fan-out
 * loop, with no queue, promise or microtask per watcher. The consumer still reads
 * `watch.events` (initial events, replays, refused events, bookmarks and the end come that way)
 * and counts what it read in `consumed`. Call it in the same turn as `watch()`; watches served
 * straight from etcd ignore it.
 */
export function offerSink(watch: StoreWatch, sink: WatchSink): void {
  sinks.set(watch, sink);
}

export function sinkOf(watch: StoreWatch): WatchSink | undefined {
  return sinks.get(watch);
}
