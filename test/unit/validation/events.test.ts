import { describe, expect, it } from 'vitest';
import { coreEventToEvents } from '../../../api/conversion/events-v1.js';
import type { KubeObject } from '../../../api/object.js';
import { create, GVK, type Loose, lines, make, update } from './helpers.js';

const regarding = { kind: 'Pod', namespace: 'default', name: 'web', apiVersion: 'v1' };

/** An events.k8s.io/v1 Event as the new recorder writes it. */
const newStyle = {
  eventTime: '2026-11-25T13:00:00.000000Z',
  reportingController: 'skiff.io/scheduler',
  reportingInstance: 'scheduler-1',
  action: 'Binding',
  reason: 'Scheduled',
  type: 'Normal',
  note: 'assigned default/web to n1',
  regarding,
};

/** A core/v1 Event as old clients (and skiff's EventRecorder) write it: no eventTime. */
const oldStyle = {
  involvedObject: regarding,
  reason: 'Pulled',
  message: 'pulled the image',
  type: 'Normal',
  source: { component: 'kubelet', host: 'n1' },
  firstTimestamp: '2026-11-25T12:59:00Z',
  lastTimestamp: '2026-11-25T12:59:00Z',
  count: 2,
};

/** A stored event as the other API serves it, with server-set metadata. */
function stored(gvk: typeof GVK.event | typeof GVK.eventsEvent, fields: Record<string, unknown>): Loose {
  return make(gvk, fields, { uid: 'u1', resourceVersion: '5', creationTimestamp: '2026-11-25T12:59:00Z' });
}

/** The same stored event, as events.k8s.io serves it. */
function viaEventsApi(coreFields: Record<string, unknown>): Loose {
  return coreEventToEvents(stored(GVK.event, coreFields) as KubeObject);
}

describe('events.k8s.io/v1 create', () => {
  it('accepts an event that says who reported what', () => {
    expect(create(GVK.eventsEvent, newStyle)).toEqual([]);
    expect(
      create(GVK.eventsEvent, {
        ...newStyle,
        series: { count: 2, lastObservedTime: '2026-11-25T13:01:00.000000Z' },
      }),
    ).toEqual([]);
  });

  it('refuses the deprecated core fields', () => {
    const ev = {
      ...newStyle,
      deprecatedSource: { component: 'kubelet' },
      deprecatedFirstTimestamp: '2026-11-25T12:59:00Z',
      deprecatedLastTimestamp: '2026-11-25T12:59:00Z',
      deprecatedCount: 3,
    };
    expect(lines(create(GVK.eventsEvent, ev))).toEqual([
      'deprecatedFirstTimestamp: Invalid value: "": needs to be unset',
      'deprecatedLastTimestamp: Invalid value: "": needs to be unset',
      'deprecatedCount: Invalid value: "": needs to be unset',
      'deprecatedSource: Invalid value: "": needs to be unset',
    ]);
  });

  it('takes zero-valued deprecated fields as unset, as upstream decodes them', () => {
    expect(create(GVK.eventsEvent, { ...newStyle, deprecatedCount: 0, deprecatedSource: {} })).toEqual([]);
  });

  it('checks lengths, the controller name and the type', () => {
    const ev = {
      ...newStyle,
      reportingController: 'not a name',
      reportingInstance: 'i'.repeat(129),
      action: 'a'.repeat(129),
      reason: 'r'.repeat(129),
      note: 'n'.repeat(1025),
      type: 'Loud',
    };
    expect(lines(create(GVK.eventsEvent, ev))).toEqual([
      expect.stringMatching(/^reportingController: Invalid value: "not a name": name part must consist of/),
      'reportingInstance: Invalid value: "": can have at most 128 characters',
      'action: Invalid value: "": can have at most 128 characters',
      'reason: Invalid value: "": can have at most 128 characters',
      'note: Invalid value: "": can have at most 1024 characters',
      'type: Unsupported value: "Loud": supported values: "Normal", "Warning"',
    ]);
  });

  it('refuses a series of fewer than two or without its last time', () => {
    expect(lines(create(GVK.eventsEvent, { ...newStyle, series: { count: 1 } }))).toEqual([
      'series.count: Invalid value: "": should be at least 2',
      'series.lastObservedTime: Required value',
    ]);
  });

  it('needs regarding in the namespace only for events outside default and kube-system', () => {
    const { regarding: _, ...unrelated } = newStyle;
    expect(create(GVK.eventsEvent, unrelated)).toEqual([]);
    expect(create(GVK.eventsEvent, unrelated, { namespace: 'kube-system' })).toEqual([]);
    expect(lines(create(GVK.eventsEvent, unrelated, { namespace: 'apps' }))).toEqual([
      'regarding.namespace: Invalid value: "": does not match event.namespace',
    ]);
    // With an eventTime, upstream lets an event point at an object of another namespace.
    expect(create(GVK.eventsEvent, newStyle, { namespace: 'apps' })).toEqual([]);
  });
});

describe('events.k8s.io/v1 update', () => {
  it('lets an event created through core gain a series and labels', () => {
    const old = viaEventsApi(oldStyle);
    const next = structuredClone(old);
    next.series = { count: 3, lastObservedTime: '2026-11-25T13:05:00.000000Z' };
    next.metadata.labels = { seen: 'twice' };
    expect(old.eventTime).toBeUndefined();
    expect(old.deprecatedCount).toBe(2);
    expect(update(GVK.eventsEvent, next, old)).toEqual([]);
  });

  it('lets the new recorder bump its own series', () => {
    const old = stored(GVK.eventsEvent, {
      ...newStyle,
      series: { count: 2, lastObservedTime: '2026-11-25T13:01:00.000000Z' },
    });
    const next = structuredClone(old);
    next.series = { count: 5, lastObservedTime: '2026-11-25T13:09:00.000000Z' };
    expect(update(GVK.eventsEvent, next, old)).toEqual([]);
  });

  it('refuses a change to anything but the series and metadata', () => {
    const old = viaEventsApi(oldStyle);
    const next = structuredClone(old);
    Object.assign(next, {
      regarding: { ...regarding, name: 'other' },
      reason: 'Changed',
      note: 'rewritten',
      deprecatedSource: { component: 'someone-else' },
      deprecatedFirstTimestamp: '2026-11-25T12:00:00Z',
      deprecatedLastTimestamp: '2026-11-25T13:00:00Z',
      deprecatedCount: 9,
      type: 'Warning',
      eventTime: '2026-11-25T13:00:00.000000Z',
      action: 'Acting',
      related: { kind: 'Node', name: 'n1' },
      reportingController: 'skiff.io/x',
      reportingInstance: 'x-1',
    });
    expect(lines(update(GVK.eventsEvent, next, old))).toEqual([
      'regarding: Invalid value: {"kind":"Pod","namespace":"default","name":"other","apiVersion":"v1"}: field is immutable',
      'reason: Invalid value: "Changed": field is immutable',
      'note: Invalid value: "rewritten": field is immutable',
      'deprecatedSource: Invalid value: {"component":"someone-else"}: field is immutable',
      'deprecatedFirstTimestamp: Invalid value: "2026-11-25T12:00:00Z": field is immutable',
      'deprecatedLastTimestamp: Invalid value: "2026-11-25T13:00:00Z": field is immutable',
      'deprecatedCount: Invalid value: 9: field is immutable',
      'type: Invalid value: "Warning": field is immutable',
      'eventTime: Invalid value: "2026-11-25T13:00:00.000000Z": field is immutable',
      'action: Invalid value: "Acting": field is immutable',
      'related: Invalid value: {"kind":"Node","name":"n1"}: field is immutable',
      'reportingController: Invalid value: "skiff.io/x": field is immutable',
      'reportingInstance: Invalid value: "x-1": field is immutable',
    ]);
  });

  it('reports a removed field as changed to null', () => {
    const old = stored(GVK.eventsEvent, newStyle);
    const next = structuredClone(old);
    delete next.note;
    expect(lines(update(GVK.eventsEvent, next, old))).toEqual([
      'note: Invalid value: null: field is immutable',
    ]);
  });

  it('tolerates an eventTime rewritten below the microsecond or in another zone', () => {
    const old = stored(GVK.eventsEvent, newStyle);
    for (const eventTime of [
      '2026-11-25T13:00:00.000000789Z',
      '2026-11-25T13:00:00Z',
      '2026-11-25T14:00:00+01:00',
    ]) {
      expect(update(GVK.eventsEvent, { ...old, eventTime }, old), eventTime).toEqual([]);
    }
    expect(lines(update(GVK.eventsEvent, { ...old, eventTime: '2026-11-25T13:00:00.000001Z' }, old))).toEqual(
      ['eventTime: Invalid value: "2026-11-25T13:00:00.000001Z": field is immutable'],
    );
  });

  it('takes absent, null and empty values as the same zero value', () => {
    const old = viaEventsApi({ ...oldStyle, related: null });
    const next = structuredClone(old);
    next.related = {};
    next.action = '';
    expect(update(GVK.eventsEvent, next, old)).toEqual([]);
  });

  it('checks a changed series, not an unchanged one', () => {
    const old = viaEventsApi(oldStyle);
    const bad = { ...old, series: { count: 1, lastObservedTime: '2026-11-25T13:05:00.000000Z' } };
    expect(lines(update(GVK.eventsEvent, bad, old))).toEqual([
      'series.count: Invalid value: "": should be at least 2',
    ]);
    // A series that was already there (written through core, which does not check it) stays.
    const oldWithSeries = viaEventsApi({ ...oldStyle, series: { count: 1 } });
    const relabeled = structuredClone(oldWithSeries);
    relabeled.metadata.labels = { a: 'b' };
    expect(update(GVK.eventsEvent, relabeled, oldWithSeries)).toEqual([]);
  });

  it('still applies the rules every event meets, and the metadata rules', () => {
    const old = stored(GVK.eventsEvent, newStyle);
    const next = structuredClone(old);
    next.metadata.uid = 'changed';
    next.metadata.labels = { 'bad key!': 'v' };
    expect(lines(update(GVK.eventsEvent, next, old))).toEqual([
      'metadata.uid: Invalid value: "changed": field is immutable',
      expect.stringMatching(/^metadata\.labels: Invalid value: "bad key!": /),
    ]);
  });
});

describe('core/v1 create and update', () => {
  it('accepts an old-style event without eventTime or reporting fields', () => {
    expect(create(GVK.event, oldStyle)).toEqual([]);
  });

  it('needs an event about a cluster-scoped object in default (or no namespace)', () => {
    const node = { ...oldStyle, involvedObject: { kind: 'Node', name: 'n1' } };
    expect(create(GVK.event, node)).toEqual([]);
    expect(lines(create(GVK.event, node, { namespace: 'apps' }))).toEqual([
      'involvedObject.namespace: Invalid value: "": does not match event.namespace',
    ]);
  });

  it('asks an event with an eventTime for the reporting fields, in core names', () => {
    const ev = { ...oldStyle, eventTime: '2026-11-25T13:00:00.000000Z', message: 'm'.repeat(1025) };
    expect(lines(create(GVK.event, ev))).toEqual([
      'reportingComponent: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'message: Invalid value: "": can have at most 1024 characters',
    ]);
    const complete = {
      ...ev,
      message: 'ok',
      reportingComponent: 'kubelet',
      reportingInstance: 'n1',
      action: 'Pull',
    };
    expect(create(GVK.event, complete)).toEqual([]);
  });

  it('lets old clients rewrite any field on update, under the same rules as create', () => {
    const old = stored(GVK.event, oldStyle);
    const next = {
      ...old,
      reason: 'Changed',
      message: 'again',
      count: 3,
      lastTimestamp: '2026-11-25T13:10:00Z',
    };
    expect(update(GVK.event, next, old)).toEqual([]);
    const moved = { ...old, involvedObject: { ...regarding, namespace: 'other' } };
    expect(lines(update(GVK.event, moved, old))).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
    ]);
  });
});
