import type { KubeObject } from '../../api/object.js';

/**
 * The storage contract the apiserver uses. Keys are full etcd keys
 * (`/registry/<group|core>/<plural>/<namespace>/<name>`); values are objects stored as JSON
 * without metadata.resourceVersion, which is set from the etcd mod revision on every read.
 */
export type StorageErrorCode =
  | 'KeyNotFound'
  | 'KeyExists'
  | 'Conflict' // a precondition (resourceVersion or uid) did not hold
  | 'Expired' // the requested resourceVersion was compacted: clients must relist (410)
  | 'TooLargeResourceVersion' // asked for a revision newer than etcd has (504 Timeout upstream)
  | 'Unavailable'; // etcd does not answer

export class StorageError extends Error {
  constructor(
    readonly code: StorageErrorCode,
    readonly key: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'StorageError';
  }
}

export function isStorageError(e: unknown, code?: StorageErrorCode): e is StorageError {
  return e instanceof StorageError && (code === undefined || e.code === code);
}

export interface Preconditions {
  uid?: string;
  resourceVersion?: string;
}

/** How a list interprets resourceVersion, as upstream's resourceVersionMatch. */
export type ResourceVersionMatch = 'Exact' | 'NotOlderThan' | undefined;

export interface ListOptions {
  /** "" = most recent (quorum read); "0" = any, served from the watch cache; else per `match`. */
  resourceVersion?: string;
  resourceVersionMatch?: ResourceVersionMatch;
  limit?: number;
  continue?: string;
  /** Filters applied before limit counting (label/field selectors). */
  predicate?: (obj: KubeObject) => boolean;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

export interface WatchOptions {
  /** Start after this revision; "" or undefined = from now; "0" = synthetic ADDED for current state, then changes. */
  resourceVersion?: string;
  predicate?: (obj: KubeObject) => boolean;
  /** Send BOOKMARK events carrying the current revision (allowWatchBookmarks). */
  bookmarks?: boolean;
  /**
   * sendInitialEvents: ADDED for every current object first (whatever resourceVersion says), then
   * changes; with `bookmarks`, a BOOKMARK annotated `k8s.io/initial-events-end: "true"` marks the end.
   */
  recursive?: boolean;
}

export type StoreEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';

/** Event objects are shared by every watcher of a resource: treat them as read-only (copy before changing). */
export interface StoreEvent {
  type: StoreEventType;
  /** For DELETED: the last state with resourceVersion = the deletion revision. For BOOKMARK: only metadata.resourceVersion. */
  object: KubeObject;
}

export interface StoreWatch {
  /**
   * Events in revision order; ends when `stop()` is called, the store closes, or the consumer falls
   * too far behind (the client should then re-watch). Throws StorageError('Expired') if the start
   * revision was compacted, StorageError('Unavailable') if etcd could not be reached to start it.
   */
  events: AsyncIterable<StoreEvent>;
  stop(): void;
}

export type UpdateFn = (current: KubeObject) => KubeObject | Promise<KubeObject>;

export interface Store {
  /** Creates if absent (txn on create revision 0); returns the stored object with resourceVersion. KeyExists otherwise. */
  create(key: string, obj: KubeObject, options?: { leaseSeconds?: number }): Promise<KubeObject>;
  /** Current object or KeyNotFound. resourceVersion "0" may be served from the watch cache. */
  get(key: string, options?: { resourceVersion?: string }): Promise<KubeObject>;
  /** Lists keys under prefix (which ends with '/'), paginated with a consistent snapshot. */
  list(prefix: string, options?: ListOptions): Promise<ListResult>;
  /**
   * Reads, applies `update`, writes with a mod-revision txn, retrying on races. Preconditions
   * are checked against the current object on every try (Conflict when they fail). KeyNotFound
   * when absent unless `ignoreNotFound`, in which case `update` gets undefined... not supported: absent = KeyNotFound.
   * If `update` returns an object deep-equal to the current one, nothing is written.
   */
  guaranteedUpdate(
    key: string,
    update: UpdateFn,
    options?: { preconditions?: Preconditions },
  ): Promise<KubeObject>;
  /** Deletes with preconditions (txn on mod revision); returns the last state. KeyNotFound / Conflict. */
  delete(key: string, options?: { preconditions?: Preconditions }): Promise<KubeObject>;
  /** Watches keys under prefix (ending with '/') or one exact key. */
  watch(prefix: string, options?: WatchOptions): StoreWatch;
  /** Starts the watch cache of the resource under prefix (as upstream caches every resource at start). */
  warmCache?(prefix: string): Promise<void>;
  /** Current etcd revision (a cheap header read). */
  currentRevision(): Promise<string>;
  /** True when etcd answers within a short timeout. */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}
