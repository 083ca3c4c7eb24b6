import type { Container, Pod, Probe } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProbeManager } from '../../../agent/probes/probe-manager.js';
import type { ProbeOutcome, ProbeTarget } from '../../../agent/probes/probe-outcome.js';
import { ProbeError } from '../../../agent/probes/probe-outcome.js';
import { FakeClock } from '../../../client/clock.js';
import type { EventRecorder } from '../../../client/event-recorder.js';

const UID = 'uid-1';

type Verdict = 'success' | 'failure' | 'warning' | 'error';

/** A prober whose handlers answer from a per-probe script (the probe's exec command names it). */
function harness(containers: Container[], restartPolicy = 'Always') {
  const clock = new FakeClock();
  const answers = new Map<string, Verdict>();
  const runs: { probe: string; at: number; target: ProbeTarget }[] = [];
  const changes: string[] = [];
  const events: { type: string; reason: string; message: string; fieldPath?: string }[] = [];
  const recorder = {
    event: (ref: { fieldPath?: string }, type: string, reason: string, message: string) =>
      events.push({ type, reason, message, fieldPath: ref.fieldPath }),
  } as unknown as EventRecorder;
  const manager = new ProbeManager({
    clock,
    log: pino({ level: 'silent' }),
    onChange: (uid) => changes.push(uid),
    events: recorder,
    run: async (probe: Probe, target: ProbeTarget): Promise<ProbeOutcome> => {
      const name = probe.exec?.command?.[0] ?? '?';
      runs.push({ probe: name, at: clock.now(), target });
      const v = answers.get(name) ?? 'success';
      if (v === 'error') throw new ProbeError(`${name} could not run`);
      return { result: v, output: `${name} said ${v}` };
    },
  });
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: UID },
    spec: { restartPolicy, containers },
  };
  const startedAt = clock.now();
  const start = (id = 'c1', podIP = '10.1.0.7') =>
    manager.update(
      pod,
      podIP,
      containers.map((spec) => ({ spec, containerId: id, startedAtMs: startedAt })),
    );
  const runsOf = (name: string) => runs.filter((r) => r.probe === name);
  return { clock, answers, runs, runsOf, changes, events, manager, start, pod, startedAt };
}

const probe = (name: string, extra: Partial<Probe> = {}): Probe => ({ exec: { command: [name] }, ...extra });
const container = (extra: Partial<Container>): Container => ({ name: 'app', image: 'busybox', ...extra });

describe('ProbeManager', () => {
  it('keeps a container with a readiness probe unready until the first success after the initial delay', async () => {
    const h = harness([
      container({ readinessProbe: probe('ready', { initialDelaySeconds: 5, periodSeconds: 2 }) }),
    ]);
    h.start();
    expect(h.manager.state(UID, 'c1')).toEqual({ ready: false });
    await h.clock.advanceAsync(4_999);
    expect(h.runs).toHaveLength(0);
    await h.clock.advanceAsync(1);
    expect(h.runsOf('ready').map((r) => r.at - h.startedAt)).toEqual([5_000]);
    expect(h.manager.state(UID, 'c1')).toEqual({ ready: true });
    expect(h.changes).toEqual([UID]);
    await h.clock.advanceAsync(4_000);
    expect(h.runsOf('ready').map((r) => r.at - h.startedAt)).toEqual([5_000, 7_000, 9_000]);
    expect(h.changes).toEqual([UID]);
  });

  it('turns unready only after failureThreshold failures in a row, ready again after successThreshold', async () => {
    const h = harness([
      container({
        readinessProbe: probe('ready', { periodSeconds: 1, failureThreshold: 3, successThreshold: 2 }),
      }),
    ]);
    h.start();
    await h.clock.advanceAsync(0);
    // The first success is one of two needed.
    expect(h.manager.state(UID, 'c1').ready).toBe(false);
    await h.clock.advanceAsync(1_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    h.answers.set('ready', 'failure');
    await h.clock.advanceAsync(2_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    h.answers.set('ready', 'success');
    await h.clock.advanceAsync(1_000);
    h.answers.set('ready', 'failure');
    await h.clock.advanceAsync(2_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    await h.clock.advanceAsync(1_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(false);
    expect(h.changes).toHaveLength(2);
    h.answers.set('ready', 'success');
    await h.clock.advanceAsync(1_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(false);
    await h.clock.advanceAsync(1_000);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    const unhealthy = h.events.filter((e) => e.reason === 'Unhealthy');
    expect(unhealthy).toHaveLength(5);
    expect(unhealthy[0]).toEqual({
      type: 'Warning',
      reason: 'Unhealthy',
      message: 'Readiness probe failed: ready said failure',
      fieldPath: 'spec.containers{app}',
    });
  });

  it('reports a liveness failure past its threshold once, with a Killing event, and stops probing', async () => {
    const h = harness([
      container({ livenessProbe: probe('live', { periodSeconds: 10, failureThreshold: 3 }) }),
    ]);
    h.start();
    h.answers.set('live', 'failure');
    await h.clock.advanceAsync(19_999);
    expect(h.runsOf('live').map((r) => r.at - h.startedAt)).toEqual([0, 10_000]);
    expect(h.manager.takeFailure(UID, 'c1')).toBeUndefined();
    expect(h.changes).toEqual([]);
    // Liveness has no say in readiness or started.
    expect(h.manager.state(UID, 'c1')).toEqual({});
    await h.clock.advanceAsync(1);
    expect(h.runsOf('live')).toHaveLength(3);
    expect(h.changes).toEqual([UID]);
    expect(h.manager.takeFailure(UID, 'c1')).toBe('Container app failed liveness probe, will be restarted');
    expect(h.manager.takeFailure(UID, 'c1')).toBeUndefined();
    expect(h.manager.failureGracePeriod(UID, 'c1')).toBeUndefined();
    expect(h.events.filter((e) => e.reason === 'Killing')).toEqual([
      {
        type: 'Normal',
        reason: 'Killing',
        message: 'Container app failed liveness probe, will be restarted',
        fieldPath: 'spec.containers{app}',
      },
    ]);
    await h.clock.advanceAsync(60_000);
    expect(h.runsOf('live')).toHaveLength(3);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('gives the failed probe its own terminationGracePeriodSeconds, and no restart under Never', async () => {
    const h = harness(
      [
        container({
          livenessProbe: probe('live', { failureThreshold: 1, terminationGracePeriodSeconds: 3 }),
        }),
      ],
      'Never',
    );
    h.answers.set('live', 'failure');
    h.start();
    await h.clock.advanceAsync(0);
    expect(h.manager.takeFailure(UID, 'c1')).toBe('Container app failed liveness probe');
    expect(h.manager.failureGracePeriod(UID, 'c1')).toBe(3);
  });

  it('asks again when the container still runs after its failure was taken', async () => {
    const h = harness([container({ livenessProbe: probe('live', { failureThreshold: 1 }) })]);
    h.answers.set('live', 'failure');
    h.start();
    await h.clock.advanceAsync(0);
    expect(h.manager.takeFailure(UID, 'c1')).toBeDefined();
    h.changes.length = 0;
    h.start();
    expect(h.changes).toEqual([UID]);
    expect(h.manager.takeFailure(UID, 'c1')).toBeDefined();
  });

  it('runs neither liveness nor readiness before the startup probe succeeded, readiness right after', async () => {
    const h = harness([
      container({
        startupProbe: probe('startup', { periodSeconds: 5, failureThreshold: 10 }),
        livenessProbe: probe('live', { periodSeconds: 5 }),
        readinessProbe: probe('ready', { periodSeconds: 5 }),
      }),
    ]);
    h.answers.set('startup', 'failure');
    h.start();
    expect(h.manager.state(UID, 'c1')).toEqual({ started: false, ready: false });
    await h.clock.advanceAsync(20_000);
    expect(h.runsOf('startup')).toHaveLength(5);
    expect(h.runsOf('live')).toHaveLength(0);
    expect(h.runsOf('ready')).toHaveLength(0);
    expect(h.manager.state(UID, 'c1')).toEqual({ started: false, ready: false });
    h.answers.set('startup', 'success');
    await h.clock.advanceAsync(5_000);
    expect(h.manager.state(UID, 'c1')).toEqual({ started: true, ready: true });
    expect(h.runsOf('ready').map((r) => r.at - h.startedAt)).toEqual([25_000]);
    expect(h.runsOf('live').map((r) => r.at - h.startedAt)).toEqual([25_000]);
    await h.clock.advanceAsync(10_000);
    // The startup probe stops once it succeeded.
    expect(h.runsOf('startup')).toHaveLength(6);
    expect(h.runsOf('live')).toHaveLength(3);
    expect(h.changes).toEqual([UID, UID]);
  });

  it('reports a startup probe failing past its threshold as a kill', async () => {
    const h = harness([
      container({
        startupProbe: probe('startup', { periodSeconds: 1, failureThreshold: 2 }),
        livenessProbe: probe('live'),
      }),
    ]);
    h.answers.set('startup', 'failure');
    h.start();
    await h.clock.advanceAsync(1_000);
    expect(h.manager.takeFailure(UID, 'c1')).toBe('Container app failed startup probe, will be restarted');
    expect(h.manager.state(UID, 'c1')).toEqual({ started: false });
    expect(h.runsOf('live')).toHaveLength(0);
  });

  it('tries a run that could not be made three times, then reports it without counting it', async () => {
    const h = harness([
      container({ livenessProbe: probe('live', { periodSeconds: 1, failureThreshold: 1 }) }),
    ]);
    h.answers.set('live', 'error');
    h.start();
    await h.clock.advanceAsync(3_000);
    expect(h.runsOf('live').map((r) => r.at - h.startedAt)).toEqual([
      0, 0, 0, 1_000, 1_000, 1_000, 2_000, 2_000, 2_000, 3_000, 3_000, 3_000,
    ]);
    expect(h.events.filter((e) => e.reason === 'Unhealthy')).toHaveLength(4);
    expect(h.manager.takeFailure(UID, 'c1')).toBeUndefined();
    expect(h.events.at(-1)?.message).toBe('Liveness probe errored: live could not run');
  });

  it('counts a warning as a success, with a ProbeWarning event', async () => {
    const h = harness([container({ readinessProbe: probe('ready') })]);
    h.answers.set('ready', 'warning');
    h.start();
    await h.clock.advanceAsync(0);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    expect(h.events).toEqual([
      {
        type: 'Warning',
        reason: 'ProbeWarning',
        message: 'Readiness probe warning: ready said warning',
        fieldPath: 'spec.containers{app}',
      },
    ]);
  });

  it('starts afresh for a new container attempt and stops probing the old one', async () => {
    const h = harness([container({ readinessProbe: probe('ready', { periodSeconds: 1 }) })]);
    h.start('c1');
    await h.clock.advanceAsync(0);
    expect(h.manager.state(UID, 'c1').ready).toBe(true);
    h.start('c2', '10.1.0.8');
    expect(h.manager.state(UID, 'c1')).toEqual({});
    expect(h.manager.state(UID, 'c2')).toEqual({ ready: false });
    await h.clock.advanceAsync(0);
    expect(h.runs.at(-1)?.target.containerId).toBe('c2');
    expect(h.runs.at(-1)?.target.podIP).toBe('10.1.0.8');
    expect(h.clock.pendingTimers()).toBe(1);
  });

  it('stops every timer of a pod on forget, and when its containers are gone', async () => {
    const h = harness([
      container({
        livenessProbe: probe('live'),
        readinessProbe: probe('ready', { initialDelaySeconds: 30 }),
      }),
    ]);
    h.start();
    expect(h.clock.pendingTimers()).toBe(2);
    h.manager.forget(UID);
    expect(h.clock.pendingTimers()).toBe(0);
    expect(h.manager.state(UID, 'c1')).toEqual({});
    h.start();
    expect(h.clock.pendingTimers()).toBe(2);
    h.manager.update(h.pod, '10.1.0.7', []);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('discards a result that arrives after the container was forgotten', async () => {
    const h = harness([container({ readinessProbe: probe('ready') })]);
    let release: (o: ProbeOutcome) => void = () => undefined;
    const slow = new ProbeManager({
      clock: h.clock,
      log: pino({ level: 'silent' }),
      onChange: (uid) => h.changes.push(uid),
      run: () => new Promise<ProbeOutcome>((r) => (release = r)),
    });
    slow.update(h.pod, '10.1.0.7', [
      { spec: container({ readinessProbe: probe('ready') }), containerId: 'c1', startedAtMs: h.clock.now() },
    ]);
    await h.clock.advanceAsync(0);
    slow.forget(UID);
    release({ result: 'success', output: '' });
    await h.clock.advanceAsync(60_000);
    expect(h.changes).toEqual([]);
    expect(h.clock.pendingTimers()).toBe(0);
  });

  it('counts runs in skiff_kubelet_prober_probe_total by type and result', async () => {
    const read = async (result: string) =>
      (await register.getSingleMetric('skiff_kubelet_prober_probe_total')?.get())?.values.find(
        (v) => v.labels.probe_type === 'Readiness' && v.labels.result === result,
      )?.value ?? 0;
    const h = harness([container({ readinessProbe: probe('ready', { periodSeconds: 1 }) })]);
    const [ok0, failed0] = [await read('successful'), await read('failed')];
    h.start();
    await h.clock.advanceAsync(1_000);
    h.answers.set('ready', 'failure');
    await h.clock.advanceAsync(1_000);
    expect(await read('successful')).toBe(ok0 + 2);
    expect(await read('failed')).toBe(failed0 + 1);
  });
});
