import { Counter, Gauge, Histogram, register } from 'prom-client';

type Metric = Counter | Gauge | Histogram;

function once<T extends Metric>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}

export const etcdRequestDuration = once(
  'skiff_etcd_request_duration_seconds',
  () =>
    new Histogram({
      name: 'skiff_etcd_request_duration_seconds',
      help: 'Latency of etcd requests made by storage, by operation',
      labelNames: ['operation'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    }),
);

export const storageWatchers = once(
  'skiff_storage_watchers',
  () =>
    new Gauge({
      name: 'skiff_storage_watchers',
      help: 'Watchers registered on storage watch caches',
      labelNames: ['resource'],
    }),
);

export const etcdWatches = once(
  'skiff_storage_etcd_watches',
  () => new Gauge({ name: 'skiff_storage_etcd_watches', help: 'Watches storage holds open on etcd' }),
);

export const etcdDbSize = once(
  'skiff_etcd_db_size_bytes',
  () =>
    new Gauge({
      name: 'skiff_etcd_db_size_bytes',
      help: 'Physically allocated size of the etcd backend database',
      labelNames: ['endpoint'],
    }),
);

export const etcdDbSizeInUse = once(
  'skiff_etcd_db_size_in_use_bytes',
  () =>
    new Gauge({
      name: 'skiff_etcd_db_size_in_use_bytes',
      help: 'Logically used size of the etcd backend database',
      labelNames: ['endpoint'],
    }),
);

export const etcdCompactions = once(
  'skiff_etcd_compactions_total',
  () =>
    new Counter({
      name: 'skiff_etcd_compactions_total',
      help: 'Compactions of the etcd keyspace requested by skiff',
    }),
);

export const etcdDefrags = once(
  'skiff_etcd_defrags_total',
  () =>
    new Counter({
      name: 'skiff_etcd_defrags_total',
      help: 'Online defragmentations of etcd members requested by skiff',
    }),
);
