import { describe, expect, it } from 'vitest';
import {
  type ContainerGcPolicy,
  DEFAULT_CONTAINER_GC_POLICY,
  planContainerRemoval,
  planSandboxRemoval,
} from '../../../agent/gc/index.js';
import type { Container, ContainerState, PodSandbox, PodSandboxState } from '../../../shim/index.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');
const NS = (ms: number) => String(BigInt(ms) * 1_000_000n);

let seq = 0;
function container(
  uid: string,
  name: string,
  attempt: number,
  state: ContainerState,
  createdMs = T0 + attempt * 1000,
  sandbox = `sb-${uid}`,
): Container {
  return {
    id: `c${++seq}-${uid}-${name}-${attempt}`,
    podSandboxId: sandbox,
    metadata: { name, attempt },
    image: { image: 'busybox' },
    imageRef: 'sha256:aa',
    state,
    createdAt: NS(createdMs),
    labels: { 'io.kubernetes.pod.uid': uid, 'io.kubernetes.container.name': name },
    annotations: {},
    imageId: '',
  };
}

function sandbox(uid: string, id: string, state: PodSandboxState, createdMs: number): PodSandbox {
  return {
    id,
    metadata: { name: uid, uid, namespace: 'default', attempt: 0 },
    state,
    createdAt: NS(createdMs),
    labels: { 'io.kubernetes.pod.uid': uid },
    annotations: {},
    runtimeHandler: '',
  };
}

const known =
  (...uids: string[]) =>
  (uid: string) =>
    uids.includes(uid);
const plan = (
  cs: Container[],
  o: { isPodKnown?: (uid: string) => boolean; sourcesReady?: boolean; policy?: Partial<ContainerGcPolicy> },
) =>
  planContainerRemoval(cs, {
    policy: { ...DEFAULT_CONTAINER_GC_POLICY, ...o.policy },
    isPodKnown: o.isPodKnown ?? (() => true),
    sourcesReady: o.sourcesReady ?? true,
    nowMs: T0 + 3_600_000,
  }).map((c) => `${c.labels['io.kubernetes.container.name']}/${c.metadata?.attempt}`);

describe('container GC plan', () => {
  it('keeps the newest dead attempt per pod container and removes older ones', () => {
    const cs = [0, 1, 2, 3].map((a) => container('p1', 'app', a, 'CONTAINER_EXITED'));
    expect(plan(cs, {})).toEqual(['app/2', 'app/1', 'app/0']);
  });

  it('never removes a running container and keeps the previous attempt beside it', () => {
    const cs = [
      container('p1', 'app', 0, 'CONTAINER_EXITED'),
      container('p1', 'app', 1, 'CONTAINER_EXITED'),
      container('p1', 'app', 2, 'CONTAINER_RUNNING'),
    ];
    // Attempt 1 holds lastState and `kubectl logs --previous`: only attempt 0 goes.
    expect(plan(cs, {})).toEqual(['app/0']);
  });

  it('counts each container name of a pod on its own', () => {
    const cs = [
      container('p1', 'a', 0, 'CONTAINER_EXITED'),
      container('p1', 'a', 1, 'CONTAINER_EXITED'),
      container('p1', 'b', 0, 'CONTAINER_EXITED'),
      container('p2', 'a', 0, 'CONTAINER_EXITED'),
    ];
    expect(plan(cs, {})).toEqual(['a/0']);
  });

  it('removes every dead container of a pod the kubelet no longer has, never a running one', () => {
    const cs = [
      container('gone', 'app', 0, 'CONTAINER_EXITED'),
      container('gone', 'app', 1, 'CONTAINER_RUNNING'),
      container('gone', 'side', 0, 'CONTAINER_CREATED'),
      container('here', 'app', 0, 'CONTAINER_EXITED'),
    ];
    expect(plan(cs, { isPodKnown: known('here') }).sort()).toEqual(['app/0', 'side/0']);
  });

  it('removes nothing for a gone pod before the pod sources are ready', () => {
    const cs = [container('gone', 'app', 0, 'CONTAINER_EXITED')];
    expect(plan(cs, { isPodKnown: known(), sourcesReady: false })).toEqual([]);
    // ... but the per-container limit still applies
    cs.push(container('gone', 'app', 1, 'CONTAINER_EXITED'));
    expect(plan(cs, { isPodKnown: known(), sourcesReady: false })).toEqual(['app/0']);
  });

  it('keeps a CREATED attempt of a known pod out of the count (the worker is about to start it)', () => {
    const cs = [
      container('p1', 'app', 0, 'CONTAINER_EXITED'),
      container('p1', 'app', 1, 'CONTAINER_EXITED'),
      container('p1', 'app', 2, 'CONTAINER_CREATED'),
    ];
    expect(plan(cs, {})).toEqual(['app/0']);
  });

  it('spares dead containers younger than minAge', () => {
    const now = T0 + 3_600_000;
    const cs = [
      container('p1', 'app', 0, 'CONTAINER_EXITED', now - 120_000),
      container('p1', 'app', 1, 'CONTAINER_EXITED', now - 90_000),
      container('p1', 'app', 2, 'CONTAINER_EXITED', now - 10_000),
    ];
    // Only attempts 0 and 1 are old enough; of those the newest (1) is kept.
    expect(plan(cs, { policy: { minAgeMs: 60_000 } })).toEqual(['app/0']);
  });

  it('keeps everything with maxPerPodContainer -1 and maxContainers -1', () => {
    const cs = [0, 1, 2].map((a) => container('p1', 'app', a, 'CONTAINER_EXITED'));
    expect(plan(cs, { policy: { maxPerPodContainer: -1 } })).toEqual([]);
  });

  it('with maxContainers, shares the limit among pod containers, then removes the oldest', () => {
    const cs = [
      ...[0, 1, 2].map((a) => container('p1', 'a', a, 'CONTAINER_EXITED', T0 + a * 1000)),
      ...[0, 1, 2].map((a) => container('p2', 'b', a, 'CONTAINER_EXITED', T0 + 500 + a * 1000)),
      container('p3', 'c', 0, 'CONTAINER_EXITED', T0 + 100),
    ];
    // 4 for 3 units: one each, then the oldest of those three goes (c/0 created at T0+100).
    expect(plan(cs, { policy: { maxPerPodContainer: -1, maxContainers: 2 } }).sort()).toEqual(
      ['a/0', 'a/1', 'b/0', 'b/1', 'c/0'].sort(),
    );
  });

  it('ignores containers the kubelet did not make (no pod uid label)', () => {
    const c = container('p1', 'app', 0, 'CONTAINER_EXITED');
    c.labels = {};
    expect(plan([c, { ...c, id: 'other' }], { isPodKnown: known() })).toEqual([]);
  });
});

describe('sandbox GC plan', () => {
  const ids = (s: PodSandbox[]) => s.map((x) => x.id).sort();

  it('removes every inactive sandbox of a gone pod', () => {
    const sbs = [
      sandbox('gone', 'old', 'SANDBOX_NOTREADY', T0),
      sandbox('gone', 'new', 'SANDBOX_NOTREADY', T0 + 1000),
      sandbox('gone', 'ready', 'SANDBOX_READY', T0 + 2000),
    ];
    expect(ids(planSandboxRemoval(sbs, [], { isPodKnown: known(), sourcesReady: true }))).toEqual([
      'new',
      'old',
    ]);
  });

  it('keeps a sandbox that still has a container, and the newest one of a known pod', () => {
    const sbs = [
      sandbox('p1', 'a', 'SANDBOX_NOTREADY', T0),
      sandbox('p1', 'b', 'SANDBOX_NOTREADY', T0 + 1000),
      sandbox('p1', 'c', 'SANDBOX_NOTREADY', T0 + 2000),
      sandbox('gone', 'd', 'SANDBOX_NOTREADY', T0),
    ];
    const cs = [
      container('p1', 'app', 0, 'CONTAINER_EXITED', T0, 'a'),
      container('gone', 'x', 0, 'CONTAINER_EXITED', T0, 'd'),
    ];
    expect(ids(planSandboxRemoval(sbs, cs, { isPodKnown: known('p1'), sourcesReady: true }))).toEqual(['b']);
  });

  it('treats every pod as known before the sources are ready', () => {
    const sbs = [sandbox('gone', 'only', 'SANDBOX_NOTREADY', T0)];
    expect(planSandboxRemoval(sbs, [], { isPodKnown: known(), sourcesReady: false })).toEqual([]);
  });
});
