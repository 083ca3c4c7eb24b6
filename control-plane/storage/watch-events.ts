import type { IEvent } from 'etcd3';
import type { KubeObject } from '../../api/object.js';
import { decodeKv } from './kv-codec.js';
import type { StoreEvent } from './store.js';

/** One etcd change to one key: the new state (or, for deletes, the last state at the delete revision) and the state before. */
export interface Change {
  key: string;
  revision: number;
  deleted: boolean;
  object: KubeObject;
  previous?: KubeObject;
}

export function changeFromEtcd(ev: IEvent, knownPrevious?: KubeObject): Change | undefined {
  const key = ev.kv.key.toString('utf8');
  const revision = Number(ev.kv.mod_revision);
  const previous = ev.prev_kv ? decodeKv(ev.prev_kv) : knownPrevious;
  if (ev.type === 'Delete') {
    if (!previous) return undefined;
    const object = structuredClone(previous);
    object.metadata.resourceVersion = String(revision);
    return { key, revision, deleted: true, object, previous };
  }
  return { key, revision, deleted: false, object: decodeKv(ev.kv), previous };
}

/** Whether a watch target (a prefix ending in '/' or one exact key) covers `key`. */
export function targetCovers(target: string, key: string): boolean {
  return target.endsWith('/') ? key.startsWith(target) : key === target;
}

/**
 * The event a watcher with `predicate` sees for a change, as upstream's cacher: an object that
 * stops matching is DELETED (its previous state at the new revision), one that starts matching is ADDED.
 */
export function eventFor(change: Change, predicate?: (o: KubeObject) => boolean): StoreEvent | undefined {
  const matches = (o: KubeObject) => predicate === undefined || predicate(o);
  if (change.deleted) return matches(change.object) ? { type: 'DELETED', object: change.object } : undefined;
  const now = matches(change.object);
  const before = change.previous !== undefined && matches(change.previous);
  if (now && before) return { type: 'MODIFIED', object: change.object };
  if (now) return { type: 'ADDED', object: change.object };
  if (before && change.previous) {
    const gone = structuredClone(change.previous);
    gone.metadata.resourceVersion = String(change.revision);
    return { type: 'DELETED', object: gone };
  }
  return undefined;
}

export function bookmark(revision: number, annotations?: Record<string, string>): StoreEvent {
  return {
    type: 'BOOKMARK',
    object: { metadata: { resourceVersion: String(revision), ...(annotations ? { annotations } : {}) } },
  };
}
