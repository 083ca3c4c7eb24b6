import type { KubeObject } from '../object.js';

/**
 * events.k8s.io/v1 Events are stored as core/v1 Events (upstream keeps one storage for both and
 * converts). The renamed fields, events.k8s.io name first; everything else (metadata, eventTime,
 * series, related, reportingInstance, action, reason, type) keeps its name.
 */
const RENAMED: readonly (readonly [events: string, core: string])[] = [
  ['note', 'message'],
  ['regarding', 'involvedObject'],
  ['reportingController', 'reportingComponent'],
  ['deprecatedSource', 'source'],
  ['deprecatedFirstTimestamp', 'firstTimestamp'],
  ['deprecatedLastTimestamp', 'lastTimestamp'],
  ['deprecatedCount', 'count'],
];

const CORE_NAMES = new Set(RENAMED.map(([, c]) => c));
const EVENTS_NAMES = new Set(RENAMED.map(([e]) => e));

/** An events.k8s.io/v1 Event in core/v1 shape (a new object; nested values are shared, not copied). */
export function eventsEventToCore(ev: KubeObject): KubeObject {
  const out: KubeObject = { apiVersion: 'v1', kind: 'Event', ...renameFields(ev, EVENTS_NAMES, 0) };
  // involvedObject is a required struct in core/v1; upstream writes it empty when regarding is unset.
  if (out.involvedObject === undefined) out.involvedObject = {};
  return out;
}

/** A core/v1 Event in events.k8s.io/v1 shape (a new object; nested values are shared, not copied). */
export function coreEventToEvents(ev: KubeObject): KubeObject {
  return { apiVersion: 'events.k8s.io/v1', kind: 'Event', ...renameFields(ev, CORE_NAMES, 1) };
}

/**
 * Copies `obj` with the renamed fields of one side (`from`, at `side` of RENAMED) moved to the
 * other side's names. Fields named as the other side already are dropped: they do not exist in the
 * source shape, and carrying them would let one side's input override the converted value.
 */
function renameFields(obj: KubeObject, from: ReadonlySet<string>, side: 0 | 1): KubeObject {
  const other = side === 0 ? CORE_NAMES : EVENTS_NAMES;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(obj)) {
    if (key === 'apiVersion' || key === 'kind' || from.has(key) || other.has(key)) continue;
    out[key] = value;
  }
  for (const pair of RENAMED) {
    const value = obj[pair[side]];
    if (value !== undefined) out[pair[1 - side]] = value;
  }
  return out as KubeObject;
}
