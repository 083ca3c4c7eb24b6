import { pino } from 'pino';
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../../client/clock.js';
import type { ApplyTiming, ProxyBackend } from '../../../proxy/backend.js';
import type { ConntrackFilter } from '../../../proxy/conntrack.js';
import { Proxier } from '../../../proxy/proxier.js';
import type { ProxyState } from '../../../proxy/service-port-map.js';
import { service, slice } from './fixtures.js';

class FakeBackend implements ProxyBackend {
  readonly mode = 'nftables' as const;
  applied: ProxyState[] = [];
  changed: (ReadonlySet<string> | undefined)[] = [];
  failNext = 0;
  async apply(state: ProxyState, changed?: ReadonlySet<string>): Promise<ApplyTiming> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('nft: syntax error');
    }
    this.applied.push(state);
    this.changed.push(changed);
    return { renderMs: 0, applyMs: 0, bytes: 0, partial: changed !== undefined };
  }
  cleared: ConntrackFilter[][] = [];
  async cleanup(): Promise<void> {}
  async clearConntrack(filters: readonly ConntrackFilter[]): Promise<void> {
    this.cleared.push([...filters]);
  }
}

function setup() {
  const clock = new FakeClock();
  const backend = new FakeBackend();
  const logs: { msg: string; kind?: string; object?: string; reason?: string }[] = [];
  const proxier = new Proxier({
    backend,
    log: pino({ level: 'warn' }, { write: (line: string) => logs.push(JSON.parse(line)) }),
    clock,
    nodeName: 'node-a',
    minSyncPeriodMs: 1000,
  });
  proxier.start();
  return { clock, backend, proxier, logs };
}

const web = service('web', { clusterIP: '10.96.0.10', ports: [{ port: 80 }] });
const webSlice = (ips: string[], triggerTime?: string) =>
  slice(
    'web',
    'web-1',
    [{ port: 8080 }],
    ips.map((ip) => ({ ip })),
    { triggerTime },
  );

async function metricValue(name: string, labels: Record<string, string> = {}): Promise<number> {
  const m = await register.getSingleMetric(name)?.get();
  const v = m?.values.find(
    (x) => Object.entries(labels).every(([k, l]) => x.labels[k] === l) && !('le' in x.labels),
  );
  return v?.value ?? 0;
}

describe('Proxier', () => {
  it('applies nothing until both services and slices have synced', async () => {
    const { clock, backend, proxier } = setup();
    proxier.onServiceChange(undefined, web);
    proxier.setServicesSynced();
    await clock.advanceAsync(5000);
    expect(backend.applied).toHaveLength(0);
    proxier.onSliceChange(undefined, webSlice(['10.244.0.1']));
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    expect(backend.applied).toHaveLength(1);
    expect(backend.applied[0].services[0].endpoints.map((e) => e.ip)).toEqual(['10.244.0.1']);
  });

  it('batches a burst of changes into one sync per min-sync-period', async () => {
    const { clock, backend, proxier } = setup();
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    expect(backend.applied).toHaveLength(1);
    proxier.onServiceChange(undefined, web);
    let prev = webSlice(['10.244.0.1']);
    proxier.onSliceChange(undefined, prev);
    for (let i = 2; i < 20; i++) {
      const next = webSlice(Array.from({ length: i }, (_, j) => `10.244.0.${j + 1}`));
      proxier.onSliceChange(prev, next);
      prev = next;
      await clock.advanceAsync(10);
    }
    expect(backend.applied).toHaveLength(1);
    await clock.advanceAsync(1000);
    expect(backend.applied).toHaveLength(2);
    expect(backend.applied[1].services[0].endpoints).toHaveLength(19);
    // The first sync is whole; later ones name the services that changed.
    expect(backend.changed).toEqual([undefined, new Set(['default/web'])]);
  });

  it('keeps retrying a failed apply and counts failures', async () => {
    const { clock, backend, proxier } = setup();
    const before = await metricValue('skiff_proxy_sync_failures_total', { mode: 'nftables' });
    backend.failNext = 2;
    proxier.onServiceChange(undefined, web);
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    await clock.advanceAsync(1000);
    expect(backend.applied).toHaveLength(0);
    await clock.advanceAsync(1000);
    expect(backend.applied).toHaveLength(1);
    expect(await metricValue('skiff_proxy_sync_failures_total', { mode: 'nftables' })).toBe(before + 2);
    expect(proxier.lastSyncTime).toBe(clock.now());
  });

  it('rewrites a service whose conflict went away', async () => {
    const { clock, backend, proxier } = setup();
    const a = service('a', {
      type: 'NodePort',
      clusterIP: '10.96.0.1',
      ports: [{ port: 80, nodePort: 30001 }],
    });
    const b = service('b', {
      type: 'NodePort',
      clusterIP: '10.96.0.2',
      ports: [{ port: 80, nodePort: 30001 }],
    });
    proxier.onServiceChange(undefined, a);
    proxier.onServiceChange(undefined, b);
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    expect(backend.applied[0].services.map((s) => s.name)).toEqual(['a']);
    proxier.onServiceChange(a, undefined);
    await clock.advanceAsync(1000);
    expect(backend.applied[1].services.map((s) => s.name)).toEqual(['b']);
    expect(backend.changed[1]).toEqual(new Set(['default/a', 'default/b']));
  });

  it('skips a bad Service and a bad slice with one log line and one metric each, others applied', async () => {
    const { clock, backend, proxier, logs } = setup();
    const before = {
      svc: await metricValue('skiff_proxy_skipped_objects_total', { kind: 'Service' }),
      slice: await metricValue('skiff_proxy_skipped_objects_total', { kind: 'EndpointSlice' }),
    };
    const bad = service('bad', { clusterIP: '10.96.0.9', ports: [{ port: 99_999 }] });
    const badSlice = slice('web', 'web-2', [{ port: 8080 }], [{ ip: 'not-an-ip' }]);
    proxier.onServiceChange(undefined, web);
    proxier.onServiceChange(undefined, bad);
    proxier.onSliceChange(undefined, webSlice(['10.244.0.1']));
    proxier.onSliceChange(undefined, badSlice);
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    expect(backend.applied[0].services.map((s) => [s.name, s.endpoints.map((e) => e.ip)])).toEqual([
      ['web', ['10.244.0.1']],
    ]);
    // A later change elsewhere syncs again: no second log line or count for the same objects.
    proxier.onSliceChange(webSlice(['10.244.0.1']), webSlice(['10.244.0.2']));
    await clock.advanceAsync(1000);
    expect(backend.applied).toHaveLength(2);
    expect(logs.map(({ msg, kind, object, reason }) => ({ msg, kind, object, reason }))).toEqual([
      {
        msg: 'invalid or conflicting object skipped',
        kind: 'Service',
        object: 'default/bad',
        reason: 'invalid port 99999',
      },
      {
        msg: 'invalid or conflicting object skipped',
        kind: 'EndpointSlice',
        object: 'default/web-2',
        reason: 'invalid IPv4 address not-an-ip',
      },
    ]);
    expect(await metricValue('skiff_proxy_skipped_objects_total', { kind: 'Service' })).toBe(before.svc + 1);
    expect(await metricValue('skiff_proxy_skipped_objects_total', { kind: 'EndpointSlice' })).toBe(
      before.slice + 1,
    );
  });

  it('clears conntrack entries of removed UDP backends after applying', async () => {
    const { clock, backend, proxier } = setup();
    const dns = service('dns', {
      clusterIP: '10.96.0.10',
      ports: [{ name: 'dns', port: 53, protocol: 'UDP' }],
    });
    const s1 = slice(
      'dns',
      'dns-1',
      [{ name: 'dns', port: 53, protocol: 'UDP' }],
      [{ ip: '10.244.0.1' }, { ip: '10.244.0.2' }],
    );
    proxier.onServiceChange(undefined, dns);
    proxier.onSliceChange(undefined, s1);
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    backend.cleared = [];
    const s2 = slice('dns', 'dns-1', [{ name: 'dns', port: 53, protocol: 'UDP' }], [{ ip: '10.244.0.2' }]);
    proxier.onSliceChange(s1, s2);
    await clock.advanceAsync(1000);
    expect(backend.cleared).toEqual([[{ origDst: '10.96.0.10', dstNat: '10.244.0.1' }]]);
  });

  it('records network programming latency from the slice trigger time', async () => {
    const { clock, proxier } = setup();
    const hist = register.getSingleMetric('skiff_proxy_network_programming_duration_seconds');
    const count = async () =>
      (await hist?.get())?.values.find(
        (v) =>
          (v as { metricName?: string }).metricName ===
          'skiff_proxy_network_programming_duration_seconds_count',
      )?.value ?? 0;
    const before = await count();
    proxier.setServicesSynced();
    proxier.setSlicesSynced();
    await clock.advanceAsync(0);
    await clock.advanceAsync(2000);
    proxier.onSliceChange(undefined, webSlice(['10.244.0.1'], new Date(clock.now() - 500).toISOString()));
    await clock.advanceAsync(0);
    expect(await count()).toBe(before + 1);
  });
});
