import type { Lease, LeaseSpec } from 'kubernetes-types/coordination/v1.js';
import pino, { type Logger } from 'pino';
import { isStatusError } from '../api/errors.js';
import type { KubeObject } from '../api/object.js';
import { type Clock, realClock } from './clock.js';
import { microTime } from './micro-time.js';
import type { ApiClient, ResourceRef } from './rest-client.js';

export const LEASES: ResourceRef = {
  group: 'coordination.k8s.io',
  version: 'v1',
  plural: 'leases',
  namespaced: true,
};

type LeaseObject = Lease & KubeObject;

export interface LeaderElectionOptions {
  api: ApiClient;
  /** The Lease's namespace and name, e.g. kube-system / kube-scheduler. */
  namespace: string;
  name: string;
  /** Unique per candidate, e.g. `<hostname>_<random>`. */
  identity: string;
  /** How long a non-renewed lease is honoured by others. Default 15 s. */
  leaseDurationMs?: number;
  /** The leader gives up when it could not renew for this long. Default 10 s. */
  renewDeadlineMs?: number;
  /** Pause between attempts to acquire or renew. Default 2 s. */
  retryPeriodMs?: number;
  /** On cancellation, clear the holder so another candidate can take over at once. Default true. */
  releaseOnCancel?: boolean;
  /** Runs while leading; `signal` aborts when leadership ends. */
  onStartedLeading(signal: AbortSignal): void | Promise<void>;
  onStoppedLeading?(): void;
  /** Called when the observed leader changes (including to ourselves). */
  onNewLeader?(identity: string): void;
  clock?: Clock;
  log?: Logger;
}

/**
 * Leader election on a coordination.k8s.io/v1 Lease with client-go's algorithm: a candidate
 * takes the lease when it is free or has not been renewed for leaseDuration (judged by the local
 * time at which the record was last seen to change), and every write carries the resourceVersion
 * it read, so a 409 means another candidate won the race.
 */
export class LeaderElector {
  private readonly clock: Clock;
  private readonly log: Logger;
  private readonly leaseDurationMs: number;
  private readonly renewDeadlineMs: number;
  private readonly retryPeriodMs: number;
  private observedRv: string | undefined;
  private observedSpec: LeaseSpec = {};
  private observedTime = 0;
  private reportedLeader: string | undefined;
  private leading = false;

  constructor(private readonly o: LeaderElectionOptions) {
    this.clock = o.clock ?? realClock;
    this.log = (o.log ?? pino({ level: 'silent' })).child({ lease: `${o.namespace}/${o.name}` });
    this.leaseDurationMs = o.leaseDurationMs ?? 15_000;
    this.renewDeadlineMs = o.renewDeadlineMs ?? 10_000;
    this.retryPeriodMs = o.retryPeriodMs ?? 2_000;
    if (this.leaseDurationMs <= this.renewDeadlineMs)
      throw new Error('leaseDuration must exceed renewDeadline');
  }

  isLeader(): boolean {
    return this.leading;
  }

  /** The holder last observed on the lease. */
  getLeader(): string | undefined {
    return this.observedSpec.holderIdentity || undefined;
  }

  /**
   * Campaigns until leading, leads until the lease is lost or the signal aborts, then returns.
   * Losing the lease is final for this run; callers usually exit (or call run again).
   */
  async run(signal: AbortSignal): Promise<void> {
    if (!(await this.acquire(signal))) return;
    const leadership = new AbortController();
    this.leading = true;
    this.log.info({ identity: this.o.identity }, 'became leader');
    Promise.resolve()
      .then(() => this.o.onStartedLeading(leadership.signal))
      .catch((e) => this.log.error({ err: e }, 'onStartedLeading failed'));
    await this.renewLoop(signal);
    this.leading = false;
    leadership.abort();
    if (signal.aborted && (this.o.releaseOnCancel ?? true)) await this.release();
    this.log.info({ identity: this.o.identity }, 'stopped leading');
    try {
      this.o.onStoppedLeading?.();
    } catch (e) {
      this.log.error({ err: e }, 'onStoppedLeading failed');
    }
  }

  private async acquire(signal: AbortSignal): Promise<boolean> {
    while (!signal.aborted) {
      if (await this.tryAcquireOrRenew(signal)) return true;
      if (!(await this.pause(this.retryPeriodMs * (1 + 0.2 * Math.random()), signal))) return false;
    }
    return false;
  }

  private async renewLoop(signal: AbortSignal): Promise<void> {
    let lastRenew = this.clock.now();
    while (!signal.aborted) {
      if (!(await this.pause(this.retryPeriodMs, signal))) return;
      if (await this.tryAcquireOrRenew(signal)) {
        lastRenew = this.clock.now();
        continue;
      }
      if (signal.aborted) return;
      if (this.clock.now() - lastRenew >= this.renewDeadlineMs || this.observedOtherHolder()) {
        this.log.warn({ identity: this.o.identity }, 'failed to renew lease, leadership lost');
        return;
      }
    }
  }

  private observedOtherHolder(): boolean {
    const holder = this.observedSpec.holderIdentity;
    return Boolean(holder) && holder !== this.o.identity;
  }

  private async tryAcquireOrRenew(signal: AbortSignal): Promise<boolean> {
    const api = this.o.api;
    const call = { namespace: this.o.namespace, signal, timeoutMs: this.renewDeadlineMs };
    const now = this.clock.now();
    let lease: LeaseObject;
    try {
      lease = await api.get<LeaseObject>(LEASES, this.o.name, call);
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) return this.failed(e, 'get');
      try {
        const created = await api.create<LeaseObject>(
          LEASES,
          {
            apiVersion: 'coordination.k8s.io/v1',
            kind: 'Lease',
            metadata: { name: this.o.name, namespace: this.o.namespace },
            spec: this.ourSpec(now, {}),
          },
          call,
        );
        this.observe(created, this.clock.now());
        return true;
      } catch (err) {
        return this.failed(err, 'create');
      }
    }
    const spec = lease.spec ?? {};
    if (lease.metadata.resourceVersion !== this.observedRv) this.observe(lease, now);
    const holder = spec.holderIdentity;
    const durationMs = spec.leaseDurationSeconds ? spec.leaseDurationSeconds * 1000 : this.leaseDurationMs;
    if (holder && holder !== this.o.identity && this.observedTime + durationMs > now) return false;
    const updated: LeaseObject = { ...lease, spec: this.ourSpec(now, spec) };
    try {
      this.observe(await api.update<LeaseObject>(LEASES, updated, call), this.clock.now());
      return true;
    } catch (e) {
      return this.failed(e, 'update');
    }
  }

  private ourSpec(now: number, old: LeaseSpec): LeaseSpec {
    const renewing = old.holderIdentity === this.o.identity;
    const at = microTime(now);
    return {
      holderIdentity: this.o.identity,
      leaseDurationSeconds: Math.max(1, Math.ceil(this.leaseDurationMs / 1000)),
      acquireTime: renewing ? (old.acquireTime ?? at) : at,
      renewTime: at,
      leaseTransitions: renewing ? (old.leaseTransitions ?? 0) : (old.leaseTransitions ?? -1) + 1,
    };
  }

  private observe(lease: LeaseObject, now: number): void {
    this.observedRv = lease.metadata.resourceVersion;
    this.observedSpec = lease.spec ?? {};
    this.observedTime = now;
    const holder = this.observedSpec.holderIdentity;
    if (holder && holder !== this.reportedLeader) {
      this.reportedLeader = holder;
      try {
        this.o.onNewLeader?.(holder);
      } catch (e) {
        this.log.error({ err: e }, 'onNewLeader failed');
      }
    }
  }

  private failed(e: unknown, op: string): false {
    if (isStatusError(e, 'Conflict') || isStatusError(e, 'AlreadyExists')) {
      this.log.debug({ op }, 'lease changed under us');
    } else {
      this.log.warn({ err: e, op }, 'lease request failed');
    }
    return false;
  }

  private async release(): Promise<void> {
    if (!this.observedRv || this.observedSpec.holderIdentity !== this.o.identity) return;
    // A renewal cut off by the cancellation may still have landed: then our resourceVersion is
    // stale. Read the lease once more and release it if it is still ours.
    for (let attempt = 0; attempt < 2; attempt++) {
      if (await this.releaseOnce()) return;
      try {
        const current = await this.o.api.get<LeaseObject>(LEASES, this.o.name, {
          namespace: this.o.namespace,
          timeoutMs: this.renewDeadlineMs,
        });
        if (current.spec?.holderIdentity !== this.o.identity) return;
        this.observedRv = current.metadata.resourceVersion;
        this.observedSpec = current.spec ?? {};
      } catch (e) {
        this.log.warn({ err: e }, 'failed to release lease');
        return;
      }
    }
  }

  /** True when released (or there was nothing to release). */
  private async releaseOnce(): Promise<boolean> {
    const now = microTime(this.clock.now());
    try {
      const released = await this.o.api.update<LeaseObject>(
        LEASES,
        {
          apiVersion: 'coordination.k8s.io/v1',
          kind: 'Lease',
          metadata: { name: this.o.name, namespace: this.o.namespace, resourceVersion: this.observedRv },
          spec: {
            holderIdentity: '',
            leaseDurationSeconds: 1,
            acquireTime: now,
            renewTime: now,
            leaseTransitions: this.observedSpec.leaseTransitions ?? 0,
          },
        },
        { namespace: this.o.namespace, timeoutMs: this.renewDeadlineMs },
      );
      this.observedRv = released.metadata.resourceVersion;
      this.observedSpec = released.spec ?? {};
      return true;
    } catch (e) {
      if (isStatusError(e, 'Conflict')) return false;
      this.log.warn({ err: e }, 'failed to release lease');
      return true;
    }
  }

  private async pause(ms: number, signal: AbortSignal): Promise<boolean> {
    try {
      await this.clock.sleep(ms, signal);
      return true;
    } catch {
      return false;
    }
  }
}
