import { SkiffError } from '../../api/errors.js';
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

/**
 * Maps an etcd3/gRPC failure to the storage error kind the apiserver understands. Failures that
 * a retry will not fix (an oversized request, a full database) stay SkiffErrors, which the
 * apiserver answers as internal errors rather than as a 503 to retry.
 */
export function toStorageError(e: unknown, key: string): StorageError | SkiffError {
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
    /ECONNREFUSED|No connection established|Deadline exceeded|circuit breaker is open|UNAVAILABLE|request timed out|leader changed|no leader|too many requests/i.test(
      err.message,
    )
  ) {
    return new StorageError('Unavailable', key, 'etcd is unavailable', { cause: err });
  }
  if (err.message.includes('request is too large')) {
    return new SkiffError('SKIFF_ETCD_REQUEST_TOO_LARGE', `the object at ${key} is too large for etcd`, {
      cause: err,
    });
  }
  return new SkiffError('SKIFF_ETCD_REQUEST_FAILED', `etcd request for ${key} failed: ${err.message}`, {
    cause: err,
  });
}
