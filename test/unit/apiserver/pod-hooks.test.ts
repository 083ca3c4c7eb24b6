import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import type { RequestContext } from '../../../control-plane/apiserver/registry/context.js';
import { bindPod, podHooks as makePodHooks } from '../../../control-plane/apiserver/registry/pod-hooks.js';
import type { ResourceStore } from '../../../control-plane/apiserver/registry/resource-store.js';

const podHooks = makePodHooks(() => ({}) as ResourceStore);

const ctx = {} as RequestContext;
const pod = (spec: object): KubeObject => ({
  metadata: { name: 'p' },
  spec: { containers: [{ name: 'c', image: 'x' }], ...spec },
});

describe('pod create hooks', () => {
  it('starts pods Pending with their QoS class and the default node-problem tolerations', () => {
    const p = pod({});
    podHooks.prepareForCreate?.(p, ctx);
    expect(p.status).toEqual({ phase: 'Pending', qosClass: 'BestEffort' });
    expect((p.spec as { tolerations: unknown[] }).tolerations).toEqual([
      {
        key: 'node.kubernetes.io/not-ready',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
      {
        key: 'node.kubernetes.io/unreachable',
        operator: 'Exists',
        effect: 'NoExecute',
        tolerationSeconds: 300,
      },
    ]);
  });

  it('keeps tolerations the pod already has for those taints', () => {
    const own = {
      key: 'node.kubernetes.io/unreachable',
      operator: 'Exists',
      effect: 'NoExecute',
      tolerationSeconds: 5,
    };
    const p = pod({ tolerations: [own] });
    podHooks.prepareForCreate?.(p, ctx);
    const tolerations = (p.spec as { tolerations: { key: string }[] }).tolerations;
    expect(tolerations).toContainEqual(own);
    expect(tolerations.filter((t) => t.key === 'node.kubernetes.io/unreachable')).toHaveLength(1);
    const all = pod({ tolerations: [{ operator: 'Exists' }] });
    podHooks.prepareForCreate?.(all, ctx);
    expect((all.spec as { tolerations: unknown[] }).tolerations).toEqual([{ operator: 'Exists' }]);
  });

  it('binds once and marks the pod scheduled', () => {
    const p = bindPod(pod({}), 'n1', '2026-01-01T00:00:00Z');
    expect((p.spec as { nodeName: string }).nodeName).toBe('n1');
    expect((p.status as { conditions: unknown[] }).conditions).toEqual([
      { type: 'PodScheduled', status: 'True', lastTransitionTime: '2026-01-01T00:00:00Z' },
    ]);
  });

  it('deletes unscheduled or finished pods at once and others with their grace period', () => {
    expect(podHooks.gracePeriodSeconds?.(pod({}), {})).toBe(0);
    expect(podHooks.gracePeriodSeconds?.(pod({ nodeName: 'n' }), {})).toBe(30);
    expect(podHooks.gracePeriodSeconds?.(pod({ nodeName: 'n', terminationGracePeriodSeconds: 5 }), {})).toBe(
      5,
    );
    expect(podHooks.gracePeriodSeconds?.(pod({ nodeName: 'n' }), { gracePeriodSeconds: 0 })).toBe(0);
    const done = { ...pod({ nodeName: 'n' }), status: { phase: 'Succeeded' } };
    expect(podHooks.gracePeriodSeconds?.(done, {})).toBe(0);
  });
});
