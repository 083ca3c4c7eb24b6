import type { Event as CoreEvent } from 'kubernetes-types/core/v1.js';
import type { Event as EventsEvent } from 'kubernetes-types/events/v1.js';
import { coreEventToEvents } from '../conversion/events-v1.js';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { deepEqual, formatValue, invalidValue, notSupported, required } from './field-errors.js';
import { isQualifiedName } from './name-rules.js';

/**
 * Event rules as upstream's pkg/apis/core/validation/events.go applies them: every event, through
 * either API, must make sense (legacy rules); events.k8s.io/v1 creates are strict (who reported
 * what, no deprecated fields) and its updates may only touch the series and metadata. Core/v1
 * requests get the legacy rules alone, on create and update alike, for old clients.
 *
 * The rules run on the events.k8s.io shape; field paths name the fields as the request wrote
 * them (`note` through events.k8s.io, `message` through core). Upstream validates its internal
 * (core-named) type and so reports core names through events.k8s.io too.
 */

const EVENT_TYPES = ['Normal', 'Warning'];
const REPORTING_INSTANCE_MAX = 128;
const ACTION_MAX = 128;
const REASON_MAX = 128;
const NOTE_MAX = 1024;

type Shape = 'core' | 'events';

/** events.k8s.io field names that core/v1 spells differently. */
const CORE_NAMES: Record<string, string> = {
  regarding: 'involvedObject',
  note: 'message',
  reportingController: 'reportingComponent',
  deprecatedSource: 'source',
  deprecatedFirstTimestamp: 'firstTimestamp',
  deprecatedLastTimestamp: 'lastTimestamp',
  deprecatedCount: 'count',
};

/** A field path in the request's shape, from its events.k8s.io spelling (`regarding.namespace`). */
function pathIn(shape: Shape, path: string): string {
  if (shape === 'events') return path;
  const dot = path.indexOf('.');
  const head = dot < 0 ? path : path.slice(0, dot);
  return (CORE_NAMES[head] ?? head) + (dot < 0 ? '' : path.slice(dot));
}

function asEventsShape(ev: CoreEvent & KubeObject): EventsEvent {
  // The conversion only renames fields, so the typed core event comes out as a typed events one.
  return coreEventToEvents(ev) as unknown as EventsEvent;
}

/** `Invalid value: "": detail`, the value upstream prints for these checks. */
function invalidBlank(field: string, detail: string): FieldError {
  return invalidValue(field, '', detail);
}

/**
 * What every stored event must satisfy (upstream's legacyValidateEvent). Events carrying an
 * eventTime are "new" events and must say who reported what; older ones only need a namespace
 * that agrees with the object they are about. `requireReporting` asks for the reporting fields
 * even without an eventTime (an events.k8s.io create, refused for the missing eventTime anyway,
 * then lists everything it lacks at once).
 */
function legacyRules(ev: EventsEvent, shape: Shape, requireReporting = false): FieldError[] {
  const errs: FieldError[] = [];
  const f = (path: string) => pathIn(shape, path);
  const ns = ev.metadata?.namespace ?? '';
  const aboutNs = ev.regarding?.namespace ?? '';
  const isNew = !!ev.eventTime;
  if (!isNew) {
    // Old clients put events about cluster-scoped objects in "default" (or nowhere).
    const agrees = aboutNs === '' ? ns === '' || ns === 'default' : ns === aboutNs;
    if (!agrees) errs.push(invalidValue(f('regarding.namespace'), aboutNs, 'does not match event.namespace'));
  } else if (aboutNs === '' && ns !== 'default' && ns !== 'kube-system') {
    errs.push(invalidValue(f('regarding.namespace'), aboutNs, 'does not match event.namespace'));
  }
  if (isNew || requireReporting) {
    const controller = ev.reportingController ?? '';
    if (!controller) errs.push(required(f('reportingController')));
    else
      for (const msg of isQualifiedName(controller))
        errs.push(invalidValue(f('reportingController'), controller, msg));
    errs.push(...bounded(ev.reportingInstance, 'reportingInstance', REPORTING_INSTANCE_MAX, true));
    errs.push(...bounded(ev.action, 'action', ACTION_MAX, true));
    errs.push(...bounded(ev.reason, 'reason', REASON_MAX, true));
    errs.push(...bounded(ev.note, f('note'), NOTE_MAX, false));
  }
  // Not an upstream rule, kept from skiff's first Event rules: a type, when given, is one of two.
  if (ev.type !== undefined && ev.type !== '' && !EVENT_TYPES.includes(ev.type)) {
    errs.push(notSupported('type', ev.type, EVENT_TYPES));
  }
  return errs;
}

function bounded(value: string | undefined, field: string, max: number, mandatory: boolean): FieldError[] {
  const v = value ?? '';
  if (v === '') return mandatory ? [required(field)] : [];
  return v.length > max ? [invalidBlank(field, `can have at most ${max} characters`)] : [];
}

function seriesRules(ev: EventsEvent): FieldError[] {
  const series = ev.series;
  if (!series) return [];
  const errs: FieldError[] = [];
  if ((series.count ?? 0) < 2) errs.push(invalidBlank('series.count', 'should be at least 2'));
  if (!series.lastObservedTime) errs.push(required('series.lastObservedTime'));
  return errs;
}

/** core/v1 Events, created or updated: the legacy rules alone, as old clients rely on. */
export function validateCoreEvent(ev: CoreEvent & KubeObject): FieldError[] {
  return legacyRules(asEventsShape(ev), 'core');
}

/** The rules of an events.k8s.io/v1 Event on its own, which an update must still meet. */
export function validateEventsEventLegacy(ev: EventsEvent): FieldError[] {
  return legacyRules(ev, 'events');
}

/** An events.k8s.io/v1 create: who reported what, and none of the fields kept for core clients. */
export function validateEventsEvent(ev: EventsEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (!ev.eventTime) errs.push(required('eventTime'));
  errs.push(...legacyRules({ ...ev, type: undefined }, 'events', true));
  if (!ev.type) errs.push(required('type'));
  else if (!EVENT_TYPES.includes(ev.type)) errs.push(notSupported('type', ev.type, EVENT_TYPES));
  errs.push(...seriesRules(ev));
  if (ev.deprecatedFirstTimestamp) errs.push(invalidBlank('deprecatedFirstTimestamp', 'needs to be unset'));
  if (ev.deprecatedLastTimestamp) errs.push(invalidBlank('deprecatedLastTimestamp', 'needs to be unset'));
  if (ev.deprecatedCount) errs.push(invalidBlank('deprecatedCount', 'needs to be unset'));
  if (ev.deprecatedSource?.component || ev.deprecatedSource?.host) {
    errs.push(invalidBlank('deprecatedSource', 'needs to be unset'));
  }
  return errs;
}

/** Fields an events.k8s.io/v1 update must leave as they are, in upstream's order. */
const FIXED_FIELDS = [
  'regarding',
  'reason',
  'note',
  'deprecatedSource',
  'deprecatedFirstTimestamp',
  'deprecatedLastTimestamp',
  'deprecatedCount',
  'type',
  'eventTime',
  'action',
  'related',
  'reportingController',
  'reportingInstance',
] as const;

const TIME_FIELDS = new Set<string>(['deprecatedFirstTimestamp', 'deprecatedLastTimestamp', 'eventTime']);

/**
 * What an events.k8s.io/v1 update may not change (the new object's own rules are
 * validateEventsEventLegacy's): everything but the series and metadata. A changed series must be
 * a valid one.
 */
export function validateEventsEventUpdate(next: EventsEvent, old: EventsEvent): FieldError[] {
  const errs: FieldError[] = [];
  if (!sameValue(next.series, old.series)) errs.push(...seriesRules(next));
  for (const field of FIXED_FIELDS) {
    const a: unknown = next[field];
    const b: unknown = old[field];
    const same = TIME_FIELDS.has(field) ? sameInstant(a, b) : sameValue(a, b);
    if (!same) errs.push(invalidValue(field, a ?? null, 'field is immutable'));
  }
  return errs;
}

/**
 * Equality as upstream sees it after decoding into Go structs: an absent field, null, "", 0,
 * false and an empty object are all the zero value.
 */
function sameValue(a: unknown, b: unknown): boolean {
  return deepEqual(zeroless(a), zeroless(b));
}

function zeroless(v: unknown): unknown {
  if (v === null || v === '' || v === 0 || v === false) return undefined;
  if (Array.isArray(v)) return v.length === 0 ? undefined : v.map(zeroless);
  if (typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const z = zeroless(x);
    if (z !== undefined) out[k] = z;
  }
  return Object.keys(out).length === 0 ? undefined : out;
}

/**
 * Timestamps compare as instants to the microsecond (upstream tolerates sub-microsecond changes to
 * eventTime, as some clients serialize nanoseconds and others truncate). Unparseable values
 * compare as text.
 */
function sameInstant(a: unknown, b: unknown): boolean {
  const x = zeroless(a);
  const y = zeroless(b);
  if (x === undefined || y === undefined) return x === y;
  const mx = typeof x === 'string' ? micros(x) : undefined;
  const my = typeof y === 'string' ? micros(y) : undefined;
  if (mx === undefined || my === undefined) return formatValue(x) === formatValue(y);
  return mx === my;
}

const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/i;

/** Microseconds since the epoch of an RFC 3339 time, digits past the microsecond dropped. */
function micros(s: string): bigint | undefined {
  const m = RFC3339.exec(s);
  if (!m) return undefined;
  const seconds = Date.parse(`${m[1]}${m[3].toUpperCase()}`);
  if (Number.isNaN(seconds)) return undefined;
  const fraction = (m[2] ?? '').slice(0, 6).padEnd(6, '0');
  return BigInt(seconds) * 1000n + BigInt(fraction);
}
