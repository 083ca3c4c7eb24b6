import { describe, expect, it } from 'vitest';
import { coreEventToEvents, eventsEventToCore } from '../../../api/conversion/events-v1.js';
import type { KubeObject } from '../../../api/object.js';
import { RESOURCES } from '../../../api/resources.js';
import { storageConversionFor } from '../../../control-plane/apiserver/registry/storage-conversion.js';

const metadata = { name: 'web.1', namespace: 'default', uid: 'u1', resourceVersion: '7' };
const ref = { kind: 'Pod', namespace: 'default', name: 'web', uid: 'p1', apiVersion: 'v1' };
const related = { kind: 'Node', name: 'n1', apiVersion: 'v1' };

const eventsShape: KubeObject = {
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata,
  eventTime: '2026-11-25T13:00:00.000000Z',
  series: { count: 3, lastObservedTime: '2026-11-25T13:05:00.000000Z' },
  reportingController: 'skiff.io/scheduler',
  reportingInstance: 'scheduler-host1',
  action: 'Binding',
  reason: 'Scheduled',
  regarding: ref,
  related,
  note: 'Successfully assigned default/web to n1',
  type: 'Normal',
  deprecatedSource: { component: 'scheduler', host: 'host1' },
  deprecatedFirstTimestamp: '2026-11-25T12:59:00Z',
  deprecatedLastTimestamp: '2026-11-25T13:05:00Z',
  deprecatedCount: 3,
};

const coreShape: KubeObject = {
  apiVersion: 'v1',
  kind: 'Event',
  metadata,
  eventTime: '2026-11-25T13:00:00.000000Z',
  series: { count: 3, lastObservedTime: '2026-11-25T13:05:00.000000Z' },
  reportingComponent: 'skiff.io/scheduler',
  reportingInstance: 'scheduler-host1',
  action: 'Binding',
  reason: 'Scheduled',
  involvedObject: ref,
  related,
  message: 'Successfully assigned default/web to n1',
  type: 'Normal',
  source: { component: 'scheduler', host: 'host1' },
  firstTimestamp: '2026-11-25T12:59:00Z',
  lastTimestamp: '2026-11-25T13:05:00Z',
  count: 3,
};

describe('events.k8s.io/v1 <-> core/v1 Event conversion', () => {
  it('converts every events.k8s.io field to its core name', () => {
    expect(eventsEventToCore(eventsShape)).toStrictEqual(coreShape);
  });

  it('converts every core field to its events.k8s.io name', () => {
    expect(coreEventToEvents(coreShape)).toStrictEqual(eventsShape);
  });

  it('round-trips both ways unchanged', () => {
    expect(coreEventToEvents(eventsEventToCore(eventsShape))).toStrictEqual(eventsShape);
    expect(eventsEventToCore(coreEventToEvents(coreShape))).toStrictEqual(coreShape);
  });

  it('round-trips a core event as old clients write it (source, timestamps, count, no eventTime)', () => {
    const old: KubeObject = {
      apiVersion: 'v1',
      kind: 'Event',
      metadata,
      involvedObject: ref,
      reason: 'Pulled',
      message: 'Container image "busybox" already present',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2026-11-25T12:59:00Z',
      lastTimestamp: '2026-11-25T12:59:00Z',
      count: 1,
      type: 'Normal',
    };
    const converted = coreEventToEvents(old);
    expect(converted).toStrictEqual({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      metadata,
      regarding: ref,
      reason: 'Pulled',
      note: 'Container image "busybox" already present',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedFirstTimestamp: '2026-11-25T12:59:00Z',
      deprecatedLastTimestamp: '2026-11-25T12:59:00Z',
      deprecatedCount: 1,
      type: 'Normal',
    });
    expect(eventsEventToCore(converted)).toStrictEqual(old);
  });

  it('gives core an empty involvedObject when regarding is unset, as upstream does', () => {
    const { regarding: _r, ...noRegarding } = eventsShape;
    expect(eventsEventToCore(noRegarding).involvedObject).toStrictEqual({});
  });

  it('does not let a field of the other shape override the converted one', () => {
    const mixed = { ...eventsShape, message: 'stale', involvedObject: { name: 'other' } };
    const core = eventsEventToCore(mixed);
    expect(core.message).toBe(eventsShape.note);
    expect(core.involvedObject).toBe(ref);
    expect(core).not.toHaveProperty('note');
  });

  it('leaves its input untouched', () => {
    const input = structuredClone(coreShape);
    coreEventToEvents(input);
    eventsEventToCore(coreEventToEvents(input));
    expect(input).toStrictEqual(coreShape);
  });
});

describe('storageConversionFor', () => {
  const eventsDef = RESOURCES.find((r) => r.group === 'events.k8s.io' && r.kind === 'Event');
  const coreDef = RESOURCES.find((r) => r.group === '' && r.kind === 'Event');

  it('stores events.k8s.io Events under the core events prefix', () => {
    expect(eventsDef).toBeDefined();
    const c = eventsDef && storageConversionFor(eventsDef);
    expect(c?.prefix).toBe('/registry/core/events/');
    expect(c?.toStorage(eventsShape)).toStrictEqual(coreShape);
  });

  it('converts one stored object to one served object (watchers share its encoding)', () => {
    const c = eventsDef && storageConversionFor(eventsDef);
    const first = c?.fromStorage(coreShape);
    expect(first).toStrictEqual(eventsShape);
    expect(c?.fromStorage(coreShape)).toBe(first);
    expect(c?.fromStorage(structuredClone(coreShape))).not.toBe(first);
  });

  it('leaves core Events and other resources in their own storage', () => {
    expect(coreDef && storageConversionFor(coreDef)).toBeUndefined();
    for (const def of RESOURCES.filter((r) => r.kind !== 'Event')) {
      expect(storageConversionFor(def)).toBeUndefined();
    }
  });
});
