import { StorageError } from './store.js';

const UNAVAILABLE_NAMES = new Set([
  'GRPCUnavailableError',
  'GRPCDeadlineExceededError',
  'GRPCCancelledError',
  'BrokenCircuitError',
  'TaskCancelledError',
  'EtcdWatchStreamEnded',
  'ClientClosedError',
]);

/** True when etcd's answer says the requested revision was compacted away. */
export function isCompactedError(e: unknown): boolean {
  return e instanceof Error && e.message.includes('required revision has been compacted');
}

/** Maps an etcd3/gRPC failure to the storage error kind the apiserver understands. */
export function toStorageError(e: unknown, key: string): StorageError {
  if (e instanceof StorageError) return e;
  const err = e instanceof Error ? e : new Error(String(e));
  if (isCompactedError(err)) {
    return new StorageError(
      'Expired',
      key,
      'too old resource version: the requested revision has been compacted',
      { cause: err },
    );
  }
  if (err.message.includes('required revision is a future revision')) {
    return new StorageError('TooLargeResourceVersion', key, 'Too large resource version', { cause: err });
  }
  const code = (err as { code?: unknown }).code;
  if (
    UNAVAILABLE_NAMES.has(err.name) ||
    UNAVAILABLE_NAMES.has(err.constructor.name) ||
    code === 14 ||
    code === 4 ||
    /ECONNREFUSED|No connection established|Deadline exceeded|circuit breaker is open|UNAVAILABLE/i.test(
      err.message,
    )
  ) {
    return new StorageError('Unavailable', key, 'etcd is unavailable', { cause: err });
  }
  return new StorageError('Unavailable', key, `etcd request failed: ${err.message}`, { cause: err });
}
