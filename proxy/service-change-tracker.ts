import type { Service } from 'kubernetes-types/core/v1.js';
import { keyOf } from '../api/object.js';

export interface Change<T> {
  previous?: T;
  current?: T;
}

/**
 * Accumulates Service changes between syncs: for each key, the state at the last sync and the
 * latest one. A change that returns to the synced state cancels out. The sync reads `services()`
 * (the merged current state) and `checkpoint()` (what changed), never raw events.
 */
export class ServiceChangeTracker {
  private readonly items = new Map<string, Service>();
  private changes = new Map<string, Change<Service>>();

  /** Records one event: `previous` undefined for an add, `current` undefined for a delete. */
  update(previous: Service | undefined, current: Service | undefined): void {
    const obj = current ?? previous;
    if (!obj) return;
    const key = keyOf(obj);
    const change = this.changes.get(key) ?? { previous: this.items.get(key) };
    change.current = current;
    if (current) this.items.set(key, current);
    else this.items.delete(key);
    if (change.previous === change.current) this.changes.delete(key);
    else this.changes.set(key, change);
  }

  pending(): boolean {
    return this.changes.size > 0;
  }

  services(): Iterable<Service> {
    return this.items.values();
  }

  get(key: string): Service | undefined {
    return this.items.get(key);
  }

  /** Returns the changes since the previous checkpoint and starts a new batch. */
  checkpoint(): Map<string, Change<Service>> {
    const out = this.changes;
    this.changes = new Map();
    return out;
  }
}
