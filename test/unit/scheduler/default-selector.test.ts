import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import type { Pod, Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { defaultSelector } from '../../../control-plane/scheduler/default-selector.js';

const svc = (name: string, selector: Record<string, string>): Service => ({
  metadata: { name, namespace: 'default' },
  spec: { selector },
});

const rs: ReplicaSet = {
  metadata: { name: 'web-abc', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'Exists' }] },
    template: {},
  },
};

function sources(services: Service[]) {
  return {
    services: () => services,
    replicationController: () => undefined,
    replicaSet: (_ns: string, name: string) => (name === rs.metadata?.name ? rs : undefined),
    statefulSet: () => undefined,
  };
}

const pod = (labels: Record<string, string>, owner?: string): Pod => ({
  metadata: {
    name: 'p',
    namespace: 'default',
    labels,
    ownerReferences: owner
      ? [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: owner, uid: 'u', controller: true }]
      : undefined,
  },
});

describe('defaultSelector', () => {
  it('ANDs the selectors of matching Services and the controlling ReplicaSet', () => {
    const sel = defaultSelector(
      pod({ app: 'web', tier: 'front', team: 'a' }, 'web-abc'),
      sources([svc('web', { app: 'web' }), svc('team', { team: 'a' }), svc('db', { app: 'db' })]),
    );
    expect(sel?.matches({ app: 'web', tier: 'x', team: 'a' })).toBe(true);
    expect(sel?.matches({ app: 'web', team: 'a' })).toBe(false);
    expect(sel?.matches({ app: 'web', tier: 'x' })).toBe(false);
  });

  it('is undefined when nothing selects the pod', () => {
    expect(defaultSelector(pod({ app: 'lonely' }), sources([svc('db', { app: 'db' })]))).toBeUndefined();
  });
});
