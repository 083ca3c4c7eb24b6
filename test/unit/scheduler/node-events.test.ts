import type { Node } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { nodeSchedulingPropertiesChanged } from '../../../control-plane/scheduler/node-events.js';
import { makeNode } from './fixtures.js';

const withReady = (n: Node, status: string, heartbeat: string): Node => ({
  ...n,
  status: { ...n.status, conditions: [{ type: 'Ready', status, lastHeartbeatTime: heartbeat }] },
});

describe('nodeSchedulingPropertiesChanged', () => {
  const base = withReady(makeNode('n1'), 'True', '2024-01-01T00:00:00Z');

  it('ignores heartbeat-only updates', () => {
    expect(
      nodeSchedulingPropertiesChanged(base, withReady(makeNode('n1'), 'True', '2024-01-01T00:00:10Z')),
    ).toBe(false);
  });

  it('sees cordoning, allocatable, labels, taints and condition changes', () => {
    const hb = '2024-01-01T00:00:00Z';
    expect(
      nodeSchedulingPropertiesChanged(base, withReady(makeNode('n1', { unschedulable: true }), 'True', hb)),
    ).toBe(true);
    expect(nodeSchedulingPropertiesChanged(base, withReady(makeNode('n1', { cpu: '8' }), 'True', hb))).toBe(
      true,
    );
    expect(
      nodeSchedulingPropertiesChanged(base, withReady(makeNode('n1', { labels: { a: 'b' } }), 'True', hb)),
    ).toBe(true);
    expect(
      nodeSchedulingPropertiesChanged(
        base,
        withReady(makeNode('n1', { taints: [{ key: 'k', effect: 'NoSchedule' }] }), 'True', hb),
      ),
    ).toBe(true);
    expect(nodeSchedulingPropertiesChanged(base, withReady(makeNode('n1'), 'False', hb))).toBe(true);
  });
});
