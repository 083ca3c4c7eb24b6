import type { Node, Taint } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { DAEMON_TOLERATIONS, podFitsNode } from '../../../control-plane/controllers/node-eligibility.js';

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
