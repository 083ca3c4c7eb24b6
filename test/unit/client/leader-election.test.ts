import type { Lease } from 'kubernetes-types/coordination/v1.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { LEASES, type LeaderElectionOptions, LeaderElector } from '../../../client/leader-election.js';
import { ApiClient } from '../../../client/rest-client.js';
import { eventually, FakeApiServer } from './fake-api-server.js';

type LeaseObject = Lease & KubeObject;
const COLLECTION = '/apis/coordination.k8s.io/v1/namespaces/kube-system/leases';
const MICRO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

describe('LeaderElector', () => {
  let server: FakeApiServer;
  let api: ApiClient;
  const stops: AbortController[] = [];

  beforeEach(async () => {
    server = new FakeApiServer();
    server.collection(COLLECTION);
    api = new ApiClient({ server: await server.start() }, { component: 'test', qps: 0 });
  });

  afterEach(async () => {
    for (const s of stops.splice(0)) s.abort();
    await new Promise((r) => setTimeout(r, 20));
    await api.close();
    await server.stop();
  });

  function candidate(identity: string, extra: Partial<LeaderElectionOptions> = {}) {
    const stop = new AbortController();
    stops.push(stop);
    const state = {
      leading: false,
      stopped: 0,
      leaders: [] as string[],
      leaderSignal: undefined as AbortSignal | undefined,
    };
    const elector = new LeaderElector({
      api,
      namespace: 'kube-system',
      name: 'skiff-scheduler',
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: 300,
      retryPeriodMs: 50,
      onStartedLeading: (signal) => {
        state.leading = true;
        state.leaderSignal = signal;
      },
      onStoppedLeading: () => {
        state.leading = false;
        state.stopped++;
      },
      onNewLeader: (id) => state.leaders.push(id),
      ...extra,
    });
    const done = elector.run(stop.signal);
    return { elector, stop, state, done };
  }

  const lease = (): LeaseObject => server.item(COLLECTION, 'skiff-scheduler') as LeaseObject;

  it('creates the lease when none exists, leads, and keeps renewing it', async () => {
    const a = candidate('node-a');
    await eventually(() => a.state.leading);
    expect(a.elector.isLeader()).toBe(true);
    const first = lease();
    expect(first.spec?.holderIdentity).toBe('node-a');
    expect(first.spec?.leaseDurationSeconds).toBe(1);
    expect(first.spec?.leaseTransitions).toBe(0);
    expect(first.spec?.renewTime).toMatch(MICRO_TIME);
    expect(first.spec?.acquireTime).toMatch(MICRO_TIME);
    const firstRv = Number(first.metadata.resourceVersion);
    await eventually(() => Number(lease().metadata.resourceVersion) >= firstRv + 2);
    expect(lease().spec?.acquireTime).toBe(first.spec?.acquireTime);
    expect(lease().spec?.renewTime).not.toBe(first.spec?.renewTime);
    expect(a.state.leaders).toEqual(['node-a']);
  });

  it('does not take a lease held by a live leader, and takes over after release on cancel', async () => {
    const a = candidate('node-a');
    await eventually(() => a.state.leading);
    const b = candidate('node-b');
    await new Promise((r) => setTimeout(r, 300));
    expect(b.state.leading).toBe(false);
    expect(b.elector.getLeader()).toBe('node-a');
    expect(b.state.leaders).toEqual(['node-a']);

    a.stop.abort();
    await a.done;
    expect(a.state.stopped).toBe(1);
    expect(a.state.leaderSignal?.aborted).toBe(true);
    expect(lease().spec?.holderIdentity).toBe('');
    // Released: b need not wait for the lease to expire.
    await eventually(() => b.state.leading, 500);
    expect(lease().spec?.holderIdentity).toBe('node-b');
    expect(lease().spec?.leaseTransitions).toBe(1);
    expect(b.state.leaders).toEqual(['node-a', 'node-b']);
  });

  it('takes over an expired lease of a vanished leader', async () => {
    server.put(COLLECTION, {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: { name: 'skiff-scheduler', namespace: 'kube-system' },
      spec: { holderIdentity: 'ghost', leaseDurationSeconds: 1, leaseTransitions: 4 },
    });
    const started = Date.now();
    const b = candidate('node-b');
    await eventually(() => b.state.leading, 3000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(lease().spec?.leaseTransitions).toBe(5);
  });

  it('stops leading when it cannot renew within the renew deadline', async () => {
    const a = candidate('node-a');
    await eventually(() => a.state.leading);
    server.down = true;
    await a.done;
    expect(a.state.stopped).toBe(1);
    expect(a.elector.isLeader()).toBe(false);
    expect(a.state.leaderSignal?.aborted).toBe(true);
  });

  it('rejects an update carrying a stale resourceVersion with a 409 Conflict', async () => {
    const a = candidate('node-a');
    await eventually(() => a.state.leading);
    const stale = structuredClone(lease());
    await eventually(() => lease().metadata.resourceVersion !== stale.metadata.resourceVersion);
    const err = await api.update(LEASES, stale, { namespace: 'kube-system' }).catch((e: unknown) => e);
    expect(isStatusError(err, 'Conflict')).toBe(true);
  });
});
