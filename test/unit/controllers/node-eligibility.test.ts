import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  DAEMON_TOLERATIONS,
  daemonPlacement,
  podFitsNode,
  withDaemonTolerations,
} from '../../../control-plane/controllers/node-eligibility.js';

const node = (name: string, labels: Record<string, string> = {}, taints: Taint[] = []): Node => ({
  metadata: { name, labels },
  spec: { taints },
});
const spec = (extra: object = {}) => ({ containers: [], ...extra });

describe('which nodes a daemon pod fits', () => {
  it('honours the node selector', () => {
    expect(podFitsNode(spec({ nodeSelector: { role: 'edge' } }), node('a', { role: 'edge' }))).toBe(true);
    expect(podFitsNode(spec({ nodeSelector: { role: 'edge' } }), node('b'))).toBe(false);
  });

  it('honours required node affinity, including matchFields on the name', () => {
    const affinity = {
      nodeAffinity: {
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z1'] }] },
            { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['special'] }] },
          ],
        },
      },
    };
    expect(podFitsNode(spec({ affinity }), node('a', { zone: 'z1' }))).toBe(true);
    expect(podFitsNode(spec({ affinity }), node('special'))).toBe(true);
    expect(podFitsNode(spec({ affinity }), node('b', { zone: 'z2' }))).toBe(false);
  });

  it('needs every NoSchedule/NoExecute taint tolerated; daemon tolerations cover node conditions', () => {
    const unschedulable = node('a', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
    expect(podFitsNode(spec(), unschedulable)).toBe(false);
    expect(podFitsNode(spec(), unschedulable, DAEMON_TOLERATIONS)).toBe(true);
    const dedicated = node('b', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
    expect(podFitsNode(spec(), dedicated, DAEMON_TOLERATIONS)).toBe(false);
    expect(podFitsNode(spec(), node('c', {}, [{ key: 'x', effect: 'PreferNoSchedule' }]))).toBe(true);
  });
});

describe('daemon pod placement (NodeShouldRunDaemonPod)', () => {
  const networkDown = node('n', {}, [
    { key: 'node.kubernetes.io/network-unavailable', effect: 'NoSchedule' },
  ]);

  it('adds the daemon tolerations once; network-unavailable only for host-network pods', () => {
    const own = {
      key: 'node.kubernetes.io/unschedulable',
      operator: 'Exists',
      effect: 'NoSchedule',
    } as const;
    const t = withDaemonTolerations(spec({ tolerations: [own] }));
    expect(t.filter((x) => x.key === own.key)).toHaveLength(1);
    expect(t.map((x) => `${x.key}:${x.effect}`).sort()).toEqual(
      DAEMON_TOLERATIONS.map((x) => `${x.key}:${x.effect}`).sort(),
    );
    expect(
      withDaemonTolerations(spec()).some((x) => x.key === 'node.kubernetes.io/network-unavailable'),
    ).toBe(false);
    expect(
      withDaemonTolerations(spec({ hostNetwork: true })).some(
        (x) => x.key === 'node.kubernetes.io/network-unavailable' && x.effect === 'NoSchedule',
      ),
    ).toBe(true);
    expect(daemonPlacement(spec({ hostNetwork: true }), networkDown).shouldRun).toBe(true);
  });

  it('an untolerated NoSchedule taint keeps new pods off but lets running ones stay; NoExecute does not', () => {
    expect(daemonPlacement(spec(), networkDown)).toEqual({ shouldRun: false, shouldContinueRunning: true });
    const noExec = node('n', {}, [{ key: 'dedicated', effect: 'NoExecute' }]);
    expect(daemonPlacement(spec(), noExec)).toEqual({ shouldRun: false, shouldContinueRunning: false });
    const pressure = node('n', {}, [
      { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
      { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' },
    ]);
    expect(daemonPlacement(spec(), pressure)).toEqual({ shouldRun: true, shouldContinueRunning: true });
  });

  it('a template nodeName or a selector that does not match rules the node out entirely', () => {
    expect(daemonPlacement(spec({ nodeName: 'other' }), node('n'))).toEqual({
      shouldRun: false,
      shouldContinueRunning: false,
    });
    expect(daemonPlacement(spec({ nodeSelector: { a: 'b' } }), node('n')).shouldContinueRunning).toBe(false);
    expect(daemonPlacement(spec({ nodeName: 'n' }), node('n')).shouldRun).toBe(true);
  });
});
