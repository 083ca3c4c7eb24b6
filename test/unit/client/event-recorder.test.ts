import type { Event } from 'kubernetes-types/core/v1.js';
import { register } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { FakeClock } from '../../../client/clock.js';
import { EVENTS, EventRecorder } from '../../../client/event-recorder.js';
import { ApiClient } from '../../../client/rest-client.js';
import { FakeApiServer } from './fake-api-server.js';

const COLLECTION = '/api/v1/namespaces/default/events';
const pod: KubeObject = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', uid: 'u1', resourceVersion: '7' },
};

describe('EventRecorder', () => {
  let server: FakeApiServer;
  let api: ApiClient;

  beforeEach(async () => {
    server = new FakeApiServer();
    server.collection(COLLECTION);
    api = new ApiClient({ server: await server.start() }, { component: 'test', qps: 0 });
  });

  afterEach(async () => {
    await api.close();
    await server.stop();
  });

  it('creates an Event with the object reference, source and a name from the timestamp', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 2, 3, 4, 5));
    const rec = new EventRecorder({ api, component: 'default-scheduler', host: 'node-1', clock });
    rec.event(pod, 'Normal', 'Scheduled', 'Successfully assigned default/web-1 to node-1');
    await rec.flush();
    const posts = server.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    const name = `web-1.${(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n).toString(16)}`;
    const ev = server.item(COLLECTION, name) as Event & KubeObject;
    expect(ev).toBeDefined();
    expect(ev.involvedObject).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      namespace: 'default',
      name: 'web-1',
      uid: 'u1',
      resourceVersion: '7',
    });
    expect(ev.reason).toBe('Scheduled');
    expect(ev.type).toBe('Normal');
    expect(ev.source).toEqual({ component: 'default-scheduler', host: 'node-1' });
    expect(ev.count).toBe(1);
    expect(ev.firstTimestamp).toBe('2024-01-02T03:04:05Z');
  });

  it('aggregates repeats within 10 minutes into count and lastTimestamp, then starts anew', async () => {
    const clock = new FakeClock(Date.UTC(2024, 0, 2, 3, 4, 5));
    const rec = new EventRecorder({ api, component: 'kubelet', clock });
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.advance(30_000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    clock.advance(30_000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    await rec.flush();
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect(server.requests.filter((r) => r.method === 'PATCH')).toHaveLength(2);
    const name = `web-1.${(BigInt(Date.UTC(2024, 0, 2, 3, 4, 5)) * 1_000_000n).toString(16)}`;
    const ev = server.item(COLLECTION, name) as Event & KubeObject;
    expect(ev.count).toBe(3);
    expect(ev.firstTimestamp).toBe('2024-01-02T03:04:05Z');
    expect(ev.lastTimestamp).toBe('2024-01-02T03:05:05Z');

    clock.advance(11 * 60_000);
    rec.event(pod, 'Warning', 'BackOff', 'Back-off restarting failed container');
    rec.event(pod, 'Normal', 'Pulled', 'Container image already present');
    await rec.flush();
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('drops events beyond the queue size and counts them, without blocking', async () => {
    const rec = new EventRecorder({ api, component: 'kubelet', queueSize: 2 });
    const metric = register.getSingleMetric('skiff_event_recorder_dropped_total');
    const before = (await metric?.get())?.values[0]?.value ?? 0;
    for (let i = 0; i < 5; i++) rec.event(pod, 'Normal', 'R', `m${i}`);
    await rec.close();
    const after = (await register.getSingleMetric('skiff_event_recorder_dropped_total')?.get())?.values[0]
      ?.value;
    // The first event is taken off the queue at once, the next two fill it, two are dropped.
    expect(Number(after) - Number(before)).toBe(2);
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });

  it('keeps going when the API fails', async () => {
    server.failRequests = 1;
    const rec = new EventRecorder({ api, component: 'kubelet' });
    rec.event(pod, 'Normal', 'A', 'first');
    rec.event(pod, 'Normal', 'B', 'second');
    await rec.flush();
    expect(server.requests.filter((r) => r.method === 'POST')).toHaveLength(2);
    expect(server.requests).toHaveLength(2);
    const stored = await api.list<Event & KubeObject>(EVENTS, { namespace: 'default' });
    expect(stored.items.map((e) => e.reason)).toEqual(['B']);
  });
});
