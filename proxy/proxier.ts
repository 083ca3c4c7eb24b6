import type { Service } from 'kubernetes-types/core/v1.js';
import type { EndpointSlice } from 'kubernetes-types/discovery/v1.js';
import type { Logger } from 'pino';
import { type Clock, realClock } from '../client/clock.js';
import type { ProxyBackend } from './backend.js';
import { staleUdpFlows } from './conntrack.js';
import { EndpointsChangeTracker } from './endpoints-change-tracker.js';
import { proxyMetrics } from './metrics.js';
import { ServiceChangeTracker } from './service-change-tracker.js';
import { type ServiceHealthServer, serviceHealthOf } from './service-health.js';
import { buildProxyState, type ProxyState, type ServicePortsCache } from './service-port-map.js';
import { SyncRunner } from './sync-runner.js';

export interface ProxierOptions {
  backend: ProxyBackend;
  log: Logger;
  /** This node's name: endpoints on it serve Local traffic policies. */
  nodeName: string;
  /** Answers healthCheckNodePorts; none when absent. */
  serviceHealth?: ServiceHealthServer;
  clock?: Clock;
  /** Default 1 s. */
  minSyncPeriodMs?: number;
  /** Default one hour. */
  fullSyncPeriodMs?: number;
}

/**
 * Turns Service and EndpointSlice events into kernel rules: events only feed the change trackers
 * and ask the runner for a sync; a sync renders the whole state and applies it in one
 * transaction. Nothing is applied before both services and slices have been listed once.
 */
export class Proxier {
  private readonly services = new ServiceChangeTracker();
  private readonly endpoints = new EndpointsChangeTracker();
  private readonly clock: Clock;
  private readonly runner: SyncRunner;
  private readonly metrics = proxyMetrics();
  private servicesSynced = false;
  private slicesSynced = false;
  private skipped = new Set<string>();
  private readonly portsCache: ServicePortsCache = new Map();
  /** Trigger times of changes not yet applied (kept across failed syncs). */
  private triggerTimes: number[] = [];
  private lastSuccess: number | undefined;
  private applied: ProxyState = { services: [] };
  private pendingFrom: number | undefined;
  private syncs = 0;

  constructor(private readonly opts: ProxierOptions) {
    this.clock = opts.clock ?? realClock;
    this.runner = new SyncRunner(() => this.sync(), {
      minIntervalMs: opts.minSyncPeriodMs ?? 1000,
      maxIntervalMs: opts.fullSyncPeriodMs ?? 3_600_000,
      clock: this.clock,
    });
  }

  start(): void {
    this.runner.start();
  }

  async stop(): Promise<void> {
    await this.runner.stop();
    await this.opts.serviceHealth?.close();
  }

  onServiceChange(previous: Service | undefined, current: Service | undefined): void {
    this.services.update(previous, current);
    this.requestSync();
  }

  onSliceChange(previous: EndpointSlice | undefined, current: EndpointSlice | undefined): void {
    this.endpoints.update(previous, current);
    this.requestSync();
  }

  setServicesSynced(): void {
    this.servicesSynced = true;
    this.requestSync();
  }

  setSlicesSynced(): void {
    this.slicesSynced = true;
    this.requestSync();
  }

  private requestSync(): void {
    this.pendingFrom ??= this.clock.now();
    if (this.servicesSynced && this.slicesSynced) this.runner.request();
  }

  /** Since when a change waits to be applied (for health checks). */
  get pendingSince(): number | undefined {
    return this.pendingFrom;
  }

  /** When rules were last applied successfully (ms since epoch), for health checks. */
  get lastSyncTime(): number | undefined {
    return this.lastSuccess;
  }

  get successfulSyncs(): number {
    return this.syncs;
  }

  /** Builds the whole state and applies it; throws if the backend failed (the runner retries). */
  async sync(): Promise<void> {
    if (!this.servicesSynced || !this.slicesSynced) return;
    const start = this.clock.now();
    const waitingSince = this.pendingFrom;
    this.pendingFrom = undefined;
    const serviceChanges = this.services.checkpoint();
    const endpointChanges = this.endpoints.checkpoint();
    for (const change of endpointChanges.values()) this.triggerTimes.push(...change.triggerTimes);
    const { state, skipped } = buildProxyState(
      this.services.services(),
      this.endpoints.slicesByService(),
      this.portsCache,
    );
    // Logged and counted once when an object becomes skipped, not at every sync.
    const nowSkipped = new Set<string>();
    for (const s of skipped) {
      const id = `${s.kind} ${s.key}`;
      nowSkipped.add(id);
      if (this.skipped.has(id)) continue;
      this.metrics.skipped.inc({ kind: s.kind });
      this.opts.log.warn(
        { kind: s.kind, object: s.key, reason: s.reason },
        'invalid or conflicting object skipped',
      );
    }
    // Periodic runs (nothing changed) and the first sync rewrite everything. A service whose
    // conflict went away (or appeared) counts as changed too; a slice's service is already in
    // the endpoint changes.
    const changed = new Set([...serviceChanges.keys(), ...endpointChanges.keys()]);
    const flipped = [
      ...[...nowSkipped].filter((id) => !this.skipped.has(id)),
      ...[...this.skipped].filter((id) => !nowSkipped.has(id)),
    ];
    for (const id of flipped) if (id.startsWith('Service ')) changed.add(id.slice('Service '.length));
    this.skipped = nowSkipped;
    const mode = this.opts.backend.mode;
    const partial = this.syncs > 0 && changed.size > 0;
    let timing: Awaited<ReturnType<ProxyBackend['apply']>>;
    try {
      timing = await this.opts.backend.apply(state, partial ? changed : undefined);
    } catch (e) {
      this.pendingFrom = waitingSince ?? start;
      this.metrics.syncFailures.inc({ mode });
      this.opts.log.error({ err: e, mode }, 'applying proxy rules failed; previous rules kept');
      throw e;
    }
    const stale = staleUdpFlows(this.applied, state, this.opts.nodeName);
    this.applied = state;
    if (stale.length > 0) {
      await this.opts.backend.clearConntrack(stale).catch((e: unknown) => {
        this.opts.log.warn({ err: e, flows: stale.length }, 'clearing stale UDP conntrack entries failed');
      });
    }
    await this.opts.serviceHealth?.update(serviceHealthOf(state, this.opts.nodeName));
    const end = this.clock.now();
    this.lastSuccess = end;
    this.syncs++;
    this.metrics.syncDuration.observe({ mode }, (end - start) / 1000);
    for (const t of this.triggerTimes)
      if (t <= end) this.metrics.programmingLatency.observe((end - t) / 1000);
    this.triggerTimes = [];
    this.opts.log.debug(
      {
        mode,
        servicePorts: state.services.length,
        endpoints: state.services.reduce((n, s) => n + s.endpoints.length, 0),
        changedServices: serviceChanges.size,
        changedEndpoints: endpointChanges.size,
        skipped: skipped.length,
        partial: timing.partial,
        renderMs: Math.round(timing.renderMs),
        applyMs: Math.round(timing.applyMs),
        bytes: timing.bytes,
      },
      'proxy rules synced',
    );
  }
}
