import type { Container } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { computePodStatus, containerStatus } from '../../../agent/pod-status.js';
import type { ProbeState } from '../../../agent/probes/probe-host.js';
import type { ContainerStatus } from '../../../shim/index.js';

const running = {
  id: 'abc',
  metadata: { name: 'c', attempt: 0 },
  state: 'CONTAINER_RUNNING',
  createdAt: '1000000000',
  startedAt: '2000000000',
  finishedAt: '0',
  exitCode: 0,
  imageRef: 'sha256:1',
} as ContainerStatus;

const exec = { exec: { command: ['true'] } };

function status(spec: Partial<Container>, probe?: ProbeState) {
  return containerStatus(
    { spec: { name: 'c', image: 'busybox', ...spec }, cri: running, runtimeName: 'containerd', probe },
    'Always',
  );
}

describe('readiness and started from probe results', () => {
  it('is started and ready without probes', () => {
    expect(status({}, {})).toMatchObject({ started: true, ready: true });
    expect(status({ livenessProbe: exec }, undefined)).toMatchObject({ started: true, ready: true });
  });

  it('is not ready before the readiness probe has a result', () => {
    expect(status({ readinessProbe: exec }, undefined)).toMatchObject({ started: true, ready: false });
    expect(status({ readinessProbe: exec }, {})).toMatchObject({ started: true, ready: false });
    expect(status({ readinessProbe: exec }, { ready: true })).toMatchObject({ started: true, ready: true });
  });

  it('is neither started nor ready until the startup probe succeeded', () => {
    expect(status({ startupProbe: exec }, {})).toMatchObject({ started: false, ready: false });
    expect(
      status({ startupProbe: exec, readinessProbe: exec }, { started: false, ready: true }),
    ).toMatchObject({
      started: false,
      ready: false,
    });
    expect(status({ startupProbe: exec }, { started: true })).toMatchObject({ started: true, ready: true });
  });

  it('drives the Ready and ContainersReady conditions', () => {
    const pod = {
      metadata: { name: 'p', namespace: 'default', uid: 'u' },
      spec: { containers: [{ name: 'c', image: 'busybox', readinessProbe: exec }] },
    };
    const compute = (probe: ProbeState) =>
      computePodStatus({
        pod,
        sandboxReady: true,
        containers: [
          { spec: pod.spec.containers[0] as Container, cri: running, runtimeName: 'containerd', probe },
        ],
        hostIP: '10.0.0.1',
        podIP: '10.0.0.2',
        nowMs: Date.UTC(2026, 0, 1),
      });
    const unready = compute({ ready: false });
    expect(unready.phase).toBe('Running');
    expect(unready.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'ContainersNotReady',
      message: 'containers with unready status: [c]',
    });
    const ready = compute({ ready: true });
    expect(ready.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
    expect(ready.conditions?.find((c) => c.type === 'ContainersReady')?.status).toBe('True');
  });
});
