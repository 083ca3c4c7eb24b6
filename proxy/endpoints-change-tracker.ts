import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import { keyOf } from '../api/object.js';
import { LAST_CHANGE_TRIGGER_TIME, SERVICE_NAME_LABEL } from './service-port-map.js';

/** What changed for one service's endpoints since the last sync. */
export interface EndpointsChange {
  /** Trigger times (ms since epoch) carried by the changed slices. */
  triggerTimes: number[];
}

function serviceKeyOf(slice: EndpointSlice): string | undefined {
  const svc = slice.metadata?.labels?.[SERVICE_NAME_LABEL];
  if (!svc) return undefined;
  return `${slice.metadata?.namespace ?? ''}/${svc}`;
}

function triggerTime(slice: EndpointSlice | undefined): number | undefined {
  const raw = slice?.metadata?.annotations?.[LAST_CHANGE_TRIGGER_TIME];
  if (!raw) return undefined;
  const t = Date.parse(raw);
  return Number.isNaN(t) ? undefined : t;
}

/**
 * Accumulates EndpointSlice changes between syncs, grouped by the Service they belong to
 * (label kubernetes.io/service-name). Keeps the merged current slices per service for the sync.
 */
export class EndpointsChangeTracker {
  private readonly slices = new Map<string, EndpointSlice>();
  private readonly byService = new Map<string, Map<string, EndpointSlice>>();
  private changes = new Map<string, EndpointsChange>();

  update(previous: EndpointSlice | undefined, current: EndpointSlice | undefined): void {
    const obj = current ?? previous;
    if (!obj) return;
    const key = keyOf(obj);
    const old = this.slices.get(key);
    if (old) this.unlink(key, old);
    if (current) {
      this.slices.set(key, current);
      const svc = serviceKeyOf(current);
      if (svc) {
        let m = this.byService.get(svc);
        if (!m) {
          m = new Map();
          this.byService.set(svc, m);
        }
        m.set(key, current);
      }
    } else {
      this.slices.delete(key);
    }
    for (const s of new Set([old && serviceKeyOf(old), current && serviceKeyOf(current)])) {
      if (!s) continue;
      const change = this.changes.get(s) ?? { triggerTimes: [] };
      const t = triggerTime(current);
      if (t !== undefined && !change.triggerTimes.includes(t)) change.triggerTimes.push(t);
      this.changes.set(s, change);
    }
  }

  private unlink(key: string, slice: EndpointSlice): void {
    const svc = serviceKeyOf(slice);
    const m = svc ? this.byService.get(svc) : undefined;
    if (!m || !svc) return;
    m.delete(key);
    if (m.size === 0) this.byService.delete(svc);
  }

  pending(): boolean {
    return this.changes.size > 0;
  }

  /** Current slices of each service, by service key. */
  slicesByService(): Map<string, EndpointSlice[]> {
    const out = new Map<string, EndpointSlice[]>();
    for (const [svc, m] of this.byService) out.set(svc, [...m.values()]);
    return out;
  }

  /** Returns the service keys whose endpoints changed since the previous checkpoint. */
  checkpoint(): Map<string, EndpointsChange> {
    const out = this.changes;
    this.changes = new Map();
    return out;
  }
}
