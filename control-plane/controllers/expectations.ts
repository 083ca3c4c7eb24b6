import { type Clock, realClock } from '../../client/index.js';

/** After this long without being observed, expectations are given up on (as upstream's 5 min). */
export const EXPECTATIONS_TTL_MS = 5 * 60 * 1000;

interface Expected {
  adds: number;
  deletes: Set<string>;
  at: number;
}

/**
 * Creates and deletes a controller has asked for but not yet seen in its informer, per
 * controller key. Until they are seen, the controller must not act again on stale counts.
 */
export class Expectations {
  private readonly byKey = new Map<string, Expected>();

  constructor(private readonly clock: Clock = realClock) {}

  /** True when nothing is in flight (or what was in flight is too old to wait for). */
  satisfied(key: string): boolean {
    const e = this.byKey.get(key);
    if (!e) return true;
    if (e.adds <= 0 && e.deletes.size === 0) return true;
    return this.clock.now() - e.at > EXPECTATIONS_TTL_MS;
  }

  expectCreations(key: string, count: number): void {
    this.byKey.set(key, { adds: count, deletes: new Set(), at: this.clock.now() });
  }

  expectDeletions(key: string, uids: readonly string[]): void {
    this.byKey.set(key, { adds: 0, deletes: new Set(uids), at: this.clock.now() });
  }

  creationObserved(key: string): void {
    const e = this.byKey.get(key);
    if (e && e.adds > 0) e.adds--;
  }

  deletionObserved(key: string, uid: string): void {
    this.byKey.get(key)?.deletes.delete(uid);
  }

  forget(key: string): void {
    this.byKey.delete(key);
  }
}
