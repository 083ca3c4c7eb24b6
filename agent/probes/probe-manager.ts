import type { ObjectReference, Pod, Probe } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import type { Clock } from '../../client/clock.js';
import type { EventRecorder } from '../../client/event-recorder.js';
import { ContainerProbes } from './container-probes.js';
import type { ProbeHost, ProbeState, RunningContainer } from './probe-host.js';
import { probeCounter, probeDuration } from './probe-metrics.js';
import type { ProbeOutcome } from './probe-outcome.js';
import type { ProbeRunner } from './probe-runner.js';
import { PROBE_TYPE, type ProbeKind } from './probe-settings.js';

export interface ProbeManagerDeps {
  run: ProbeRunner;
  clock: Clock;
  log: Logger;
  /** Asks for a sync of the pod with this uid (a result changed). */
  onChange: (uid: string) => void;
  events?: EventRecorder;
}

const MAX_PROBE_ATTEMPTS = 3;

interface PodProbes {
  pod: Pod;
  podIP: string;
  containers: Map<string, ContainerProbes>;
}

const hasProbes = (c: RunningContainer) =>
  Boolean(c.spec.startupProbe || c.spec.livenessProbe || c.spec.readinessProbe);

function containerRef(pod: Pod, name: string): ObjectReference {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    namespace: pod.metadata?.namespace,
    name: pod.metadata?.name,
    uid: pod.metadata?.uid,
    fieldPath: `spec.containers{${name}}`,
  };
}

/** The kubelet's prober: one ContainerProbes per probed container attempt, by pod uid. */
export class ProbeManager implements ProbeHost {
  private readonly pods = new Map<string, PodProbes>();

  constructor(private readonly d: ProbeManagerDeps) {}

  update(pod: Pod, podIP: string, running: RunningContainer[]): void {
    const uid = pod.metadata?.uid ?? '';
    const probed = running.filter(hasProbes);
    let entry = this.pods.get(uid);
    if (!entry) {
      if (probed.length === 0) return;
      entry = { pod, podIP, containers: new Map() };
      this.pods.set(uid, entry);
    }
    entry.pod = pod;
    entry.podIP = podIP;
    const live = new Set(probed.map((c) => c.containerId));
    for (const [id, probes] of entry.containers) {
      if (live.has(id)) continue;
      probes.stop();
      entry.containers.delete(id);
    }
    for (const c of probed) {
      const known = entry.containers.get(c.containerId);
      if (known) {
        // Still running after its failure was taken: the kill did not happen, ask again.
        if (known.failure?.taken) {
          known.failure.taken = false;
          this.d.onChange(uid);
        }
        continue;
      }
      const probes = this.containerProbes(uid, entry, c);
      entry.containers.set(c.containerId, probes);
      probes.start();
    }
    if (entry.containers.size === 0) this.pods.delete(uid);
  }

  state(uid: string, containerId: string): ProbeState {
    return this.pods.get(uid)?.containers.get(containerId)?.state() ?? {};
  }

  takeFailure(uid: string, containerId: string): string | undefined {
    const entry = this.pods.get(uid);
    const probes = entry?.containers.get(containerId);
    const failure = probes?.failure;
    if (!entry || !probes || !failure || failure.taken) return undefined;
    failure.taken = true;
    const name = probes.spec.name;
    const restarted = entry.pod.spec?.restartPolicy !== 'Never';
    const message = `Container ${name} failed ${failure.kind} probe${restarted ? ', will be restarted' : ''}`;
    this.d.events?.event(containerRef(entry.pod, name), 'Normal', 'Killing', message);
    return message;
  }

  failureGracePeriod(uid: string, containerId: string): number | undefined {
    return this.pods.get(uid)?.containers.get(containerId)?.failure?.gracePeriodSeconds;
  }

  forget(uid: string): void {
    const entry = this.pods.get(uid);
    if (!entry) return;
    for (const probes of entry.containers.values()) probes.stop();
    this.pods.delete(uid);
  }

  /** Stops every probe of every pod. */
  close(): void {
    for (const uid of [...this.pods.keys()]) this.forget(uid);
  }

  private containerProbes(uid: string, entry: PodProbes, c: RunningContainer): ContainerProbes {
    const name = c.spec.name;
    const log = this.d.log.child({
      pod: `${entry.pod.metadata?.namespace}/${entry.pod.metadata?.name}`,
      container: name,
    });
    return new ContainerProbes(c.spec, c.containerId, c.startedAtMs, {
      clock: this.d.clock,
      run: async (kind: ProbeKind, probe: Probe, timeoutMs: number) => {
        const end = probeDuration().startTimer({ probe_type: PROBE_TYPE[kind] });
        const target = { pod: entry.pod, podIP: entry.podIP, container: c.spec, containerId: c.containerId };
        try {
          // A run that could not be made is tried again at once, as upstream does.
          for (let attempt = 1; ; attempt++) {
            try {
              return await this.d.run(probe, target, timeoutMs);
            } catch (e) {
              if (attempt >= MAX_PROBE_ATTEMPTS) throw e;
            }
          }
        } finally {
          end();
        }
      },
      onRun: (kind, outcome, error) => this.recordRun(entry.pod, name, log, kind, outcome, error),
      onChange: (kind, outcome) => {
        log.info(
          { probe: kind, state: this.state(uid, c.containerId), output: outcome.output },
          'probe result changed',
        );
        this.d.onChange(uid);
      },
    });
  }

  private recordRun(
    pod: Pod,
    name: string,
    log: Logger,
    kind: ProbeKind,
    outcome: ProbeOutcome | undefined,
    error: unknown,
  ): void {
    const type = PROBE_TYPE[kind];
    const result = !outcome ? 'unknown' : outcome.result === 'failure' ? 'failed' : 'successful';
    probeCounter().inc({ probe_type: type, result });
    const ref = containerRef(pod, name);
    if (!outcome) {
      const message = error instanceof Error ? error.message : String(error);
      log.debug({ probe: kind, err: error }, 'probe errored');
      this.d.events?.event(ref, 'Warning', 'Unhealthy', `${type} probe errored: ${message}`);
    } else if (outcome.result === 'failure') {
      log.debug({ probe: kind, output: outcome.output }, 'probe failed');
      this.d.events?.event(ref, 'Warning', 'Unhealthy', `${type} probe failed: ${outcome.output}`);
    } else if (outcome.result === 'warning') {
      this.d.events?.event(ref, 'Warning', 'ProbeWarning', `${type} probe warning: ${outcome.output}`);
    }
  }
}
