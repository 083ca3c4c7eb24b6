import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlResult, kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

// events.k8s.io/v1 and core/v1 Events are one resource, stored once as core Events (as upstream).

let server: TestServer;
let kubectl: (args: string[], stdin?: string) => Promise<KubectlResult>;

const ok = (r: KubectlResult) => {
  if (r.code !== 0) throw new Error(`kubectl failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

const EVENTS_PATH = '/apis/events.k8s.io/v1/namespaces/default/events';
const CORE_PATH = '/api/v1/namespaces/default/events';

beforeAll(async () => {
  server = await startSkiffServer();
  kubectl = kubectlFor(server.kubeconfig);
});

afterAll(async () => {
  await server?.stop();
});

const newEvent = (name: string, note: string) => ({
  apiVersion: 'events.k8s.io/v1',
  kind: 'Event',
  metadata: { name },
  eventTime: '2026-11-25T13:00:00.000000Z',
  reportingController: 'skiff.io/test',
  reportingInstance: 'test-1',
  action: 'Testing',
  reason: 'Tested',
  type: 'Normal',
  note,
  regarding: { kind: 'Pod', namespace: 'default', name: 'web', apiVersion: 'v1' },
});

const coreEvent = (name: string, message: string) => `
apiVersion: v1
kind: Event
metadata: {name: ${name}}
involvedObject: {kind: Pod, namespace: default, name: web, apiVersion: v1}
reason: Pulled
message: ${message}
type: Normal
source: {component: kubelet, host: n1}
firstTimestamp: "2026-11-25T12:59:00Z"
lastTimestamp: "2026-11-25T12:59:00Z"
count: 2
`;

async function etcdGet(key: string): Promise<{ lease?: number | string; count?: number }> {
  const { stdout } = await promisify(execFile)('/usr/bin/etcdctl', [
    `--endpoints=http://127.0.0.1:${server.etcdPort}`,
    'get',
    key,
    '-w',
    'json',
  ]);
  const res = JSON.parse(stdout) as { count?: number; kvs?: { lease?: number | string }[] };
  return { count: res.count ?? 0, lease: res.kvs?.[0]?.lease };
}

describe('events.k8s.io/v1 and core/v1 Events share one storage', () => {
  it('shows an events.k8s.io Event in `kubectl get events` with its note as message', async () => {
    const created = await server.fetch(
      'POST',
      EVENTS_PATH,
      newEvent('from-events-api', 'hello from the new API'),
    );
    expect(created.status, created.text).toBe(201);
    expect(created.json()).toMatchObject({ apiVersion: 'events.k8s.io/v1', note: 'hello from the new API' });
    expect(created.json()).not.toHaveProperty('message');

    const table = ok(await kubectl(['get', 'events', '-n', 'default']));
    expect(table).toMatch(/Normal\s+Tested\s+pod\/web\s+hello from the new API/);
    const core = JSON.parse(ok(await kubectl(['get', 'events', 'from-events-api', '-o', 'json'])));
    expect(core).toMatchObject({
      apiVersion: 'v1',
      kind: 'Event',
      message: 'hello from the new API',
      reportingComponent: 'skiff.io/test',
      reportingInstance: 'test-1',
      involvedObject: { kind: 'Pod', name: 'web' },
    });
    expect(core).not.toHaveProperty('note');
    expect(core.metadata.uid).toBe(created.json().metadata.uid);

    // Stored once, under the core prefix, with the event TTL lease.
    const stored = await etcdGet('/registry/core/events/default/from-events-api');
    expect(stored.count).toBe(1);
    expect(Number(stored.lease ?? 0)).toBeGreaterThan(0);
    expect((await etcdGet('/registry/events.k8s.io/events/default/from-events-api')).count).toBe(0);
  });

  it('shows a kubectl-created core Event through events.k8s.io with note and deprecated fields', async () => {
    ok(await kubectl(['apply', '-f', '-'], coreEvent('from-core-api', 'pulled the image')));
    const got = await server.fetch('GET', `${EVENTS_PATH}/from-core-api`);
    expect(got.status, got.text).toBe(200);
    expect(got.json()).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      kind: 'Event',
      note: 'pulled the image',
      regarding: { kind: 'Pod', name: 'web' },
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedCount: 2,
      deprecatedFirstTimestamp: '2026-11-25T12:59:00Z',
    });
    for (const field of ['message', 'involvedObject', 'source', 'count'])
      expect(got.json()).not.toHaveProperty(field);

    const list = await server.fetch('GET', EVENTS_PATH);
    expect(list.json().kind).toBe('EventList');
    const notes = (list.json().items as { metadata: { name: string }; note?: string }[]).map((i) => [
      i.metadata.name,
      i.note,
    ]);
    expect(notes).toContainEqual(['from-core-api', 'pulled the image']);
    expect(notes).toContainEqual(['from-events-api', 'hello from the new API']);

    const yaml = ok(await kubectl(['get', 'events.v1.events.k8s.io', 'from-core-api', '-o', 'yaml']));
    expect(yaml).toContain('apiVersion: events.k8s.io/v1');
    expect(yaml).toContain('note: pulled the image');
    const table = ok(await kubectl(['get', 'events.v1.events.k8s.io']));
    expect(table).toMatch(/Normal\s+Pulled\s+pod\/web\s+pulled the image/);
  });

  it('selects by field through either API on the shared storage', async () => {
    const byReason = await server.fetch('GET', `${EVENTS_PATH}?fieldSelector=reason%3DPulled`);
    expect(byReason.status, byReason.text).toBe(200);
    expect(byReason.json().items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'from-core-api',
    ]);
    const byRegarding = await server.fetch('GET', `${EVENTS_PATH}?fieldSelector=regarding.name%3Dweb`);
    expect(byRegarding.json().items).toHaveLength(2);
    const core = await server.fetch('GET', `${CORE_PATH}?fieldSelector=reportingComponent%3Dskiff.io%2Ftest`);
    expect(core.json().items.map((i: { metadata: { name: string } }) => i.metadata.name)).toEqual([
      'from-events-api',
    ]);
  });

  it('updates and deletes through one API what the other created', async () => {
    // The events.k8s.io recorder's update: a series on its own event, seen by core readers.
    const series = { count: 4, lastObservedTime: '2026-11-25T13:10:00.000000Z' };
    const patched = await server.fetch(
      'PATCH',
      `${EVENTS_PATH}/from-events-api`,
      { series },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(patched.status, patched.text).toBe(200);
    expect(patched.json()).toMatchObject({ series, note: 'hello from the new API' });
    const core = (await server.fetch('GET', `${CORE_PATH}/from-events-api`)).json();
    expect(core).toMatchObject({
      series,
      message: 'hello from the new API',
      reportingComponent: 'skiff.io/test',
    });

    // A core update of a core event, seen by events.k8s.io readers with everything else kept.
    const current = (await server.fetch('GET', `${CORE_PATH}/from-core-api`)).json();
    const put = await server.fetch('PUT', `${CORE_PATH}/from-core-api`, {
      ...current,
      message: 'pulled again',
    });
    expect(put.status, put.text).toBe(200);
    const viaEvents = (await server.fetch('GET', `${EVENTS_PATH}/from-core-api`)).json();
    expect(viaEvents).toMatchObject({
      note: 'pulled again',
      deprecatedSource: { component: 'kubelet', host: 'n1' },
      deprecatedCount: 2,
    });
    expect(viaEvents.metadata.resourceVersion).toBe(put.json().metadata.resourceVersion);

    const del = await server.fetch('DELETE', `${EVENTS_PATH}/from-events-api`);
    expect(del.status, del.text).toBe(200);
    expect((await server.fetch('GET', `${CORE_PATH}/from-events-api`)).status).toBe(404);
    ok(await kubectl(['delete', 'events', 'from-core-api']));
    expect((await server.fetch('GET', `${EVENTS_PATH}/from-core-api`)).status).toBe(404);
  });

  it('lets kubectl patch the series and labels of a core-created Event through events.k8s.io', async () => {
    ok(await kubectl(['create', '-f', '-'], coreEvent('patched-via-events', 'pulled once')));
    // Upstream validates events.k8s.io updates by what changed, not by the create rules this
    // event (no eventTime, no reporting fields, deprecated fields set) would fail.
    const series = { count: 2, lastObservedTime: '2026-11-25T13:10:00.000000Z' };
    const patched = JSON.parse(
      ok(
        await kubectl([
          'patch',
          'events.v1.events.k8s.io',
          'patched-via-events',
          '-p',
          JSON.stringify({ series, metadata: { labels: { seen: 'again' } } }),
          '-o',
          'json',
        ]),
      ),
    );
    expect(patched).toMatchObject({
      apiVersion: 'events.k8s.io/v1',
      series,
      note: 'pulled once',
      deprecatedCount: 2,
      metadata: { labels: { seen: 'again' } },
    });
    ok(await kubectl(['label', 'events.v1.events.k8s.io', 'patched-via-events', 'by=kubectl-label']));
    const core = JSON.parse(ok(await kubectl(['get', 'events', 'patched-via-events', '-o', 'json'])));
    expect(core).toMatchObject({
      series,
      message: 'pulled once',
      count: 2,
      source: { component: 'kubelet', host: 'n1' },
      metadata: { labels: { seen: 'again', by: 'kubectl-label' } },
    });
  });

  it('refuses an events.k8s.io change to what an event says happened, with the field named', async () => {
    const res = await kubectl([
      'patch',
      'events.v1.events.k8s.io',
      'patched-via-events',
      '-p',
      JSON.stringify({ reason: 'Rewritten', note: 'a different story' }),
    ]);
    expect(res.code, res.stdout).not.toBe(0);
    expect(res.stderr).toContain('The Event "patched-via-events" is invalid');
    expect(res.stderr).toContain('reason: Invalid value: "Rewritten": field is immutable');
    expect(res.stderr).toContain('note: Invalid value: "a different story": field is immutable');

    const raw = await server.fetch(
      'PATCH',
      `${EVENTS_PATH}/patched-via-events`,
      { deprecatedCount: 7 },
      { 'content-type': 'application/merge-patch+json' },
    );
    expect(raw.status, raw.text).toBe(422);
    expect(raw.json()).toMatchObject({
      kind: 'Status',
      reason: 'Invalid',
      details: {
        group: 'events.k8s.io',
        kind: 'Event',
        causes: [{ field: 'deprecatedCount', reason: 'FieldValueInvalid' }],
      },
    });

    // Core clients may still rewrite the same event, as old recorders do.
    ok(await kubectl(['patch', 'events', 'patched-via-events', '-p', '{"reason":"Rewritten","count":3}']));
    const viaEvents = (await server.fetch('GET', `${EVENTS_PATH}/patched-via-events`)).json();
    expect(viaEvents).toMatchObject({ reason: 'Rewritten', deprecatedCount: 3, note: 'pulled once' });
    ok(await kubectl(['delete', 'events', 'patched-via-events']));
  });

  it('refuses an events.k8s.io create that carries the deprecated core fields', async () => {
    const manifest = JSON.stringify({
      ...newEvent('deprecated-fields', 'counted the old way'),
      deprecatedCount: 3,
      deprecatedSource: { component: 'kubelet' },
    });
    const res = await kubectl(['create', '-f', '-'], manifest);
    expect(res.code, res.stdout).not.toBe(0);
    expect(res.stderr).toContain('The Event "deprecated-fields" is invalid');
    expect(res.stderr).toContain('deprecatedCount: Invalid value: "": needs to be unset');
    expect(res.stderr).toContain('deprecatedSource: Invalid value: "": needs to be unset');
    expect((await server.fetch('GET', `${CORE_PATH}/deprecated-fields`)).status).toBe(404);

    // The same event without them is stored.
    ok(await kubectl(['create', '-f', '-'], JSON.stringify(newEvent('deprecated-fields', 'counted anew'))));
    ok(await kubectl(['delete', 'events.v1.events.k8s.io', 'deprecated-fields']));
  });

  it('streams a core-created Event to events.k8s.io watchers converted, and to core watchers as is', async () => {
    const rv = (await server.fetch('GET', EVENTS_PATH)).json().metadata.resourceVersion as string;
    const watch = (path: string) =>
      server.fetch('GET', `${path}?watch=1&resourceVersion=${rv}&timeoutSeconds=3`);
    // Two watchers of events.k8s.io share the converted event; one of core gets the core shape.
    const streams = [watch(EVENTS_PATH), watch(EVENTS_PATH), watch(CORE_PATH)];
    await new Promise((r) => setTimeout(r, 500));
    ok(await kubectl(['create', '-f', '-'], coreEvent('watched', 'seen by every watcher')));
    const [a, b, core] = await Promise.all(streams);
    const events = (text: string) =>
      text
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              type: string;
              object: Record<string, unknown> & { metadata: { name: string } };
            },
        )
        .filter((e) => e.object.metadata.name === 'watched');
    for (const stream of [a, b]) {
      const seen = events(stream.text);
      expect(seen.map((e) => e.type)).toEqual(['ADDED']);
      expect(seen[0].object).toMatchObject({
        apiVersion: 'events.k8s.io/v1',
        note: 'seen by every watcher',
        regarding: { name: 'web' },
        deprecatedCount: 2,
      });
      expect(seen[0].object).not.toHaveProperty('message');
    }
    const coreSeen = events(core.text);
    expect(coreSeen.map((e) => e.type)).toEqual(['ADDED']);
    expect(coreSeen[0].object).toMatchObject({ apiVersion: 'v1', message: 'seen by every watcher' });
    expect(coreSeen[0].object).not.toHaveProperty('note');
  });
});
