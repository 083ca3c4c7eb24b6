import { describe, expect, it } from 'vitest';
import {
  maxOldScaleDown,
  maxSurgeOf,
  maxUnavailableOf,
  newReplicaSetReplicas,
  resolveFenceposts,
  scaledValue,
} from '../../../control-plane/controllers/rollout-math.js';

const deployment = (
  replicas: number,
  maxSurge?: number | string,
  maxUnavailable?: number | string,
  type = 'RollingUpdate',
) => ({
  spec: {
    replicas,
    selector: {},
    template: {},
    strategy: { type, rollingUpdate: { maxSurge, maxUnavailable } },
  },
});

describe('rolling update arithmetic', () => {
  it('rounds surge up and unavailable down', () => {
    expect(scaledValue('25%', 10, true)).toBe(3);
    expect(scaledValue('25%', 10, false)).toBe(2);
    expect(scaledValue(4, 10, true)).toBe(4);
    expect(() => scaledValue('abc', 10, true)).toThrow();
  });

  it('makes maxUnavailable 1 when both resolve to zero', () => {
    expect(resolveFenceposts('0%', '0%', 3)).toEqual({ surge: 0, unavailable: 1 });
    expect(resolveFenceposts('10%', '10%', 3)).toEqual({ surge: 1, unavailable: 0 });
  });

  it('resolves a deployment, capping unavailable at the replicas; Recreate has neither', () => {
    expect(maxSurgeOf(deployment(4, '25%', '25%'))).toBe(1);
    expect(maxUnavailableOf(deployment(4, '25%', '25%'))).toBe(1);
    expect(maxUnavailableOf(deployment(2, 0, 5))).toBe(2);
    expect(maxSurgeOf(deployment(4, 1, 1, 'Recreate'))).toBe(0);
    expect(maxUnavailableOf(deployment(4, 1, 1, 'Recreate'))).toBe(0);
  });

  it('scales the new set up to replicas + surge in total', () => {
    expect(newReplicaSetReplicas(4, 1, 4, 0)).toBe(1);
    expect(newReplicaSetReplicas(4, 1, 5, 1)).toBe(1);
    expect(newReplicaSetReplicas(4, 2, 2, 2)).toBe(4);
    expect(newReplicaSetReplicas(3, 10, 0, 0)).toBe(3);
  });

  it('limits old scale-down by minimum availability and unavailable new pods', () => {
    expect(maxOldScaleDown(5, 3, 1)).toBe(1);
    expect(maxOldScaleDown(4, 3, 1)).toBe(0);
  });
});
