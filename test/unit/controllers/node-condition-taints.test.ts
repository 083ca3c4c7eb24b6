import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  conditionTaintKeys,
  isConditionTaint,
} from '../../../control-plane/controllers/node-condition-taints.js';

const node = (conditions: Partial<NodeCondition>[], unschedulable = false): Node => ({
  metadata: { name: 'n' },
  spec: { unschedulable },
  status: { conditions: conditions as NodeCondition[] },
});

describe('TaintNodesByCondition keys', () => {
  it('a healthy node carries none', () => {
    const healthy = node([
      { type: 'Ready', status: 'True' },
      { type: 'MemoryPressure', status: 'False' },
      { type: 'DiskPressure', status: 'False' },
      { type: 'PIDPressure', status: 'False' },
      { type: 'NetworkUnavailable', status: 'False' },
    ]);
    expect(conditionTaintKeys(healthy)).toEqual([]);
  });

  it('maps each condition in its tainting status, and spec.unschedulable', () => {
    expect(conditionTaintKeys(node([{ type: 'Ready', status: 'False' }]))).toEqual([
      'node.kubernetes.io/not-ready',
    ]);
    expect(conditionTaintKeys(node([{ type: 'Ready', status: 'Unknown' }]))).toEqual([
      'node.kubernetes.io/unreachable',
    ]);
    const sick = node(
      [
        { type: 'MemoryPressure', status: 'True' },
        { type: 'DiskPressure', status: 'True' },
        { type: 'PIDPressure', status: 'True' },
        { type: 'NetworkUnavailable', status: 'True' },
        { type: 'constructor', status: 'name' },
      ],
      true,
    );
    expect(conditionTaintKeys(sick).sort()).toEqual([
      'node.kubernetes.io/disk-pressure',
      'node.kubernetes.io/memory-pressure',
      'node.kubernetes.io/network-unavailable',
      'node.kubernetes.io/pid-pressure',
      'node.kubernetes.io/unschedulable',
    ]);
    // A pressure condition gone Unknown (node silent) does not taint.
    expect(conditionTaintKeys(node([{ type: 'MemoryPressure', status: 'Unknown' }]))).toEqual([]);
  });

  it('owns only the NoSchedule taints of those keys', () => {
    expect(isConditionTaint({ key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' })).toBe(true);
    expect(isConditionTaint({ key: 'node.kubernetes.io/not-ready', effect: 'NoSchedule' })).toBe(true);
    expect(isConditionTaint({ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' })).toBe(false);
    expect(isConditionTaint({ key: 'dedicated', effect: 'NoSchedule' })).toBe(false);
  });
});
