import type { Container as ContainerSpec, Pod } from 'kubernetes-types/core/v1.js';

/** One running app container as the pod worker saw it in a sync. */
export interface RunningContainer {
  spec: ContainerSpec;
  containerId: string;
  /** When this attempt started, ms since the epoch. */
  startedAtMs: number;
}

/**
 * Probe results of one container attempt; an absent field means no probe of that kind.
 * `started` is false until the startup probe succeeded; `ready` is false until the readiness
 * probe succeeded (and while not started).
 */
export interface ProbeState {
  ready?: boolean;
  started?: boolean;
}

/**
 * Startup, liveness and readiness probing of a node's containers. The pod worker reports the
 * running containers after each sync; results come back through `state` and `takeFailure`,
 * and a changed result asks for a new sync of the pod (the owner passes that callback in).
 */
export interface ProbeHost {
  /** Starts probing new container attempts of the pod and stops probing gone ones. */
  update(pod: Pod, podIP: string, running: RunningContainer[]): void;
  state(uid: string, containerId: string): ProbeState;
  /** Once per failure: a message when liveness or startup failed past its threshold (kill the container). */
  takeFailure(uid: string, containerId: string): string | undefined;
  /**
   * After `takeFailure`: the failed probe's own terminationGracePeriodSeconds, when it sets one;
   * it replaces the pod's grace period for this kill.
   */
  failureGracePeriod(uid: string, containerId: string): number | undefined;
  /** Stops all probing of the pod. */
  forget(uid: string): void;
}

export const noProbes: ProbeHost = {
  update: () => undefined,
  state: () => ({}),
  takeFailure: () => undefined,
  failureGracePeriod: () => undefined,
  forget: () => undefined,
};
