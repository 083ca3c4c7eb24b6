import { coreEventToEvents, eventsEventToCore } from '../../../api/conversion/events-v1.js';
import type { KubeObject } from '../../../api/object.js';
import type { ResourceDef } from '../../../api/resources.js';

/**
 * A resource kept in another resource's storage (upstream: one storage version, several served
 * versions): its objects live under `prefix` in the storage shape and are converted on every way
 * in and out.
 */
export interface StorageConversion {
  /** The etcd prefix of the resource whose storage is shared (`/registry/core/events/`). */
  prefix: string;
  /** The served shape to the stored one. */
  toStorage(obj: KubeObject): KubeObject;
  /**
   * The stored shape to the served one. The same stored object always gives the same converted
   * object, so watchers that share a stored watch event also share its conversion (and the bytes
   * encoded from it). Treat the result as read-only, as stored objects are.
   */
  fromStorage(obj: KubeObject): KubeObject;
}

/** The conversion of a resource served from another one's storage, or undefined for its own storage. */
export function storageConversionFor(def: ResourceDef): StorageConversion | undefined {
  if (def.group === 'events.k8s.io' && def.kind === 'Event') {
    return memoized({
      prefix: '/registry/core/events/',
      toStorage: eventsEventToCore,
      fromStorage: coreEventToEvents,
    });
  }
  return undefined;
}

function memoized(c: StorageConversion): StorageConversion {
  const converted = new WeakMap<KubeObject, KubeObject>();
  return {
    prefix: c.prefix,
    toStorage: c.toStorage,
    fromStorage(obj) {
      let out = converted.get(obj);
      if (out === undefined) {
        out = c.fromStorage(obj);
        converted.set(obj, out);
      }
      return out;
    },
  };
}
