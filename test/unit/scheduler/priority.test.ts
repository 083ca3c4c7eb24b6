import type { Pod } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import { describe, expect, it } from 'vitest';
import { resolvePreemptionPolicy, resolvePriority } from '../../../control-plane/scheduler/priority.js';

function classes(...list: PriorityClass[]) {
  return { get: (n: string) => list.find((c) => c.metadata?.name === n), list: () => list };
}

const pc = (name: string, value: number, extra: Partial<PriorityClass> = {}): PriorityClass => ({
  apiVersion: 'scheduling.k8s.io/v1',
  kind: 'PriorityClass',
  metadata: { name },
  value,
  ...extra,
});

const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ spec: { containers: [], ...spec } });

describe('resolvePriority', () => {
  it('takes spec.priority when set', () => {
    expect(resolvePriority(pod({ priority: 7, priorityClassName: 'high' }), classes(pc('high', 1000)))).toBe(
      7,
    );
  });

  it("takes the named class's value when the server left spec.priority unset", () => {
    expect(resolvePriority(pod({ priorityClassName: 'high' }), classes(pc('high', 1000)))).toBe(1000);
    expect(resolvePriority(pod({ priorityClassName: 'missing' }), classes())).toBe(0);
    expect(resolvePriority(pod({ priorityClassName: 'system-node-critical' }), classes())).toBe(
      2_000_001_000,
    );
  });

  it('falls back to the globalDefault class, else 0', () => {
    expect(resolvePriority(pod({}), classes(pc('d', 50, { globalDefault: true }), pc('x', 99)))).toBe(50);
    expect(resolvePriority(pod({}), classes(pc('x', 99)))).toBe(0);
  });
});

describe('resolvePreemptionPolicy', () => {
  it("takes the pod's policy, else its class's, else PreemptLowerPriority", () => {
    const cs = classes(pc('polite', 10, { preemptionPolicy: 'Never' }));
    expect(resolvePreemptionPolicy(pod({ preemptionPolicy: 'Never' }), cs)).toBe('Never');
    expect(resolvePreemptionPolicy(pod({ priorityClassName: 'polite' }), cs)).toBe('Never');
    expect(resolvePreemptionPolicy(pod({}), cs)).toBe('PreemptLowerPriority');
  });
});
