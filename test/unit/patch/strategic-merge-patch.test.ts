import { describe, expect, it } from 'vitest';
import { isStatusError, type StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { applyPatch } from '../../../api/patch/index.js';

const SMP = 'application/strategic-merge-patch+json';
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };
const POD = { group: '', version: 'v1', kind: 'Pod' };

function deployment(containers: unknown[], extra: Record<string, unknown> = {}): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      ...extra,
    },
  };
}

type Loose = any;
const podSpec = (o: KubeObject): Loose => (o.spec as Loose).template.spec;
const containersOf = (o: KubeObject): Loose[] => podSpec(o).containers;

function smpError(original: KubeObject, patch: unknown, gvk = DEPLOYMENT): StatusError {
  try {
    applyPatch(SMP, original, patch, gvk);
  } catch (e) {
    if (isStatusError(e)) return e;
    throw e;
  }
  throw new Error('patch applied');
}

describe('strategic merge patch', () => {
  it('applies kubectl apply’s second patch: only b’s image changes and a is kept', () => {
    const original = deployment([
      { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }] },
      { name: 'b', image: 'b:1' },
    ]);
    const patch = {
      metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}' } },
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }, { name: 'b' }],
            containers: [{ name: 'b', image: 'new' }],
          },
        },
      },
    };
    const patched = applyPatch(SMP, original, patch, DEPLOYMENT);
    expect(containersOf(patched)).toEqual([
      { name: 'a', image: 'a:1', ports: [{ containerPort: 80 }] },
      { name: 'b', image: 'new' },
    ]);
    expect(patched.metadata.annotations).toEqual({
      'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}',
    });
    expect(patched.metadata.labels).toEqual({ app: 'web', tier: 'front' });
    expect((patched.spec as Loose).replicas).toBe(2);
  });

  it('never modifies the original', () => {
    const original = deployment([{ name: 'a', image: 'a:1' }]);
    const before = structuredClone(original);
    const patch = { spec: { template: { spec: { containers: [{ name: 'a', image: 'a:2' }] } } } };
    const patchBefore = structuredClone(patch);
    const patched = applyPatch(SMP, original, patch, DEPLOYMENT);
    expect(original).toEqual(before);
    expect(patch).toEqual(patchBefore);
    expect(containersOf(patched)[0].image).toBe('a:2');
    patched.metadata.name = 'changed';
    expect(original.metadata.name).toBe('web');
  });

  it('orders the list as $setElementOrder says, reordering existing elements', () => {
    const original = deployment([
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b' },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'c' }, { name: 'b' }, { name: 'a' }],
            containers: [{ name: 'c', image: 'c' }],
          },
        },
      },
    };
    expect(containersOf(applyPatch(SMP, original, patch, DEPLOYMENT)).map((c) => c.name)).toEqual([
      'c',
      'b',
      'a',
    ]);
  });

  it('deletes a container with $patch: delete and keeps the others', () => {
    const original = deployment([
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b' },
      { name: 'c', image: 'c' },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }, { name: 'c' }],
            containers: [{ $patch: 'delete', name: 'b' }],
          },
        },
      },
    };
    expect(containersOf(applyPatch(SMP, original, patch, DEPLOYMENT))).toEqual([
      { name: 'a', image: 'a' },
      { name: 'c', image: 'c' },
    ]);
  });

  it('adds a container that is new without touching the existing ones', () => {
    const original = deployment([{ name: 'web', image: 'nginx' }]);
    const patch = {
      spec: { template: { spec: { containers: [{ name: 'sidecar', image: 'busybox:1.37' }] } } },
    };
    // Without $setElementOrder, new elements go first (as kubectl patch --local shows).
    const names = containersOf(applyPatch(SMP, original, patch, DEPLOYMENT)).map((c) => c.name);
    expect(names).toEqual(['sidecar', 'web']);
  });

  it('merges env by name and container ports by containerPort', () => {
    const original = deployment([
      {
        name: 'a',
        image: 'a',
        env: [
          { name: 'X', value: '1' },
          { name: 'Y', value: '2' },
        ],
        ports: [
          { containerPort: 80, name: 'http' },
          { containerPort: 443, name: 'https' },
        ],
      },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: 'a',
                env: [{ name: 'Y', value: '3' }],
                ports: [{ containerPort: 443, protocol: 'TCP' }, { containerPort: 8080 }],
              },
            ],
          },
        },
      },
    };
    const [a] = containersOf(applyPatch(SMP, original, patch, DEPLOYMENT));
    expect(a.image).toBe('a');
    expect(a.env).toHaveLength(2);
    expect(a.env).toEqual(
      expect.arrayContaining([
        { name: 'X', value: '1' },
        { name: 'Y', value: '3' },
      ]),
    );
    expect(a.ports).toHaveLength(3);
    expect(a.ports).toEqual(
      expect.arrayContaining([
        { containerPort: 80, name: 'http' },
        { containerPort: 443, name: 'https', protocol: 'TCP' },
        { containerPort: 8080 },
      ]),
    );
  });

  it('merges volumeMounts by mountPath and volumes by name', () => {
    const original = deployment(
      [{ name: 'a', image: 'a', volumeMounts: [{ name: 'v1', mountPath: '/data' }] }],
      {},
    );
    podSpec(original).volumes = [{ name: 'v1', emptyDir: {} }];
    const patch = {
      spec: {
        template: {
          spec: {
            volumes: [{ name: 'v2', configMap: { name: 'cm' } }],
            containers: [
              { name: 'a', volumeMounts: [{ name: 'v1-renamed', mountPath: '/data', readOnly: true }] },
            ],
          },
        },
      },
    };
    const patched = applyPatch(SMP, original, patch, DEPLOYMENT);
    expect(
      podSpec(patched)
        .volumes.map((v: Loose) => v.name)
        .sort(),
    ).toEqual(['v1', 'v2']);
    expect(containersOf(patched)[0].volumeMounts).toEqual([
      { name: 'v1-renamed', mountPath: '/data', readOnly: true },
    ]);
  });

  it('clears keys that $retainKeys does not list (switching the deployment strategy)', () => {
    const original = deployment([{ name: 'a', image: 'a' }], {
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
    });
    const patch = { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } };
    expect((applyPatch(SMP, original, patch, DEPLOYMENT).spec as Loose).strategy).toEqual({
      type: 'Recreate',
    });
  });

  it('clears a volume source that $retainKeys drops', () => {
    const original = deployment([{ name: 'a', image: 'a' }]);
    podSpec(original).volumes = [{ name: 'v', emptyDir: {} }];
    const patch = {
      spec: {
        template: {
          spec: { volumes: [{ name: 'v', $retainKeys: ['name', 'hostPath'], hostPath: { path: '/x' } }] },
        },
      },
    };
    expect(podSpec(applyPatch(SMP, original, patch, DEPLOYMENT)).volumes).toEqual([
      { name: 'v', hostPath: { path: '/x' } },
    ]);
  });

  it('rejects a patch setting a key that its $retainKeys does not list (400)', () => {
    const original = deployment([{ name: 'a', image: 'a' }], { strategy: { type: 'RollingUpdate' } });
    const err = smpError(original, {
      spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', extra: 1 } },
    });
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });

  it('removes finalizers listed in $deleteFromPrimitiveList/finalizers and adds new ones as a set', () => {
    const original: KubeObject = {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm', finalizers: ['a.io/x', 'b.io/y', 'c.io/z'] },
    };
    const gvk = { group: '', version: 'v1', kind: 'ConfigMap' };
    const deleted = applyPatch(
      SMP,
      original,
      { metadata: { '$deleteFromPrimitiveList/finalizers': ['b.io/y'] } },
      gvk,
    );
    expect(deleted.metadata.finalizers).toEqual(['a.io/x', 'c.io/z']);
    const added = applyPatch(SMP, original, { metadata: { finalizers: ['a.io/x', 'd.io/w'] } }, gvk);
    expect([...(added.metadata.finalizers ?? [])].sort()).toEqual(['a.io/x', 'b.io/y', 'c.io/z', 'd.io/w']);
  });

  it('applies kubectl’s finalizer removal: $setElementOrder plus $deleteFromPrimitiveList', () => {
    const original: KubeObject = { metadata: { name: 'cm', finalizers: ['a', 'b', 'c'] } };
    const patch = {
      metadata: { '$setElementOrder/finalizers': ['c', 'a'], '$deleteFromPrimitiveList/finalizers': ['b'] },
    };
    const patched = applyPatch(SMP, original, patch, { group: '', version: 'v1', kind: 'ConfigMap' });
    expect(patched.metadata.finalizers).toEqual(['c', 'a']);
  });

  it('merges ownerReferences by uid', () => {
    const original: KubeObject = {
      metadata: {
        name: 'p',
        ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1' }],
      },
    };
    const patch = {
      metadata: {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
        ],
      },
    };
    expect(applyPatch(SMP, original, patch, POD).metadata.ownerReferences).toEqual([
      { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
    ]);
  });

  it('removes a label given null and merges the other labels', () => {
    const original = deployment([{ name: 'a', image: 'a' }]);
    const patched = applyPatch(
      SMP,
      original,
      { metadata: { labels: { tier: null, env: 'prod' } } },
      DEPLOYMENT,
    );
    expect(patched.metadata.labels).toEqual({ app: 'web', env: 'prod' });
  });

  it('replaces a list with no merge strategy (tolerations, node taints)', () => {
    const pod: KubeObject = {
      metadata: { name: 'p' },
      spec: { containers: [{ name: 'a', image: 'a' }], tolerations: [{ key: 'x', operator: 'Exists' }] },
    };
    const patched = applyPatch(SMP, pod, { spec: { tolerations: [{ key: 'y', operator: 'Exists' }] } }, POD);
    expect((patched.spec as Loose).tolerations).toEqual([{ key: 'y', operator: 'Exists' }]);
    expect((patched.spec as Loose).containers).toEqual([{ name: 'a', image: 'a' }]);

    const node: KubeObject = {
      metadata: { name: 'n' },
      spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] },
    };
    const cordoned = applyPatch(
      SMP,
      node,
      { spec: { unschedulable: true, taints: [{ key: 'b', effect: 'NoExecute' }] } },
      {
        group: '',
        version: 'v1',
        kind: 'Node',
      },
    );
    expect(cordoned.spec).toEqual({ unschedulable: true, taints: [{ key: 'b', effect: 'NoExecute' }] });
  });

  it('merges node conditions and addresses by type', () => {
    const node: KubeObject = {
      metadata: { name: 'n' },
      status: {
        conditions: [
          { type: 'Ready', status: 'False' },
          { type: 'MemoryPressure', status: 'False' },
        ],
        addresses: [{ type: 'InternalIP', address: '10.0.0.1' }],
      },
    };
    const patch = {
      status: {
        conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
        addresses: [{ type: 'Hostname', address: 'n' }],
      },
    };
    const status = applyPatch(SMP, node, patch, { group: '', version: 'v1', kind: 'Node' }).status as Loose;
    expect(status.conditions).toEqual(
      expect.arrayContaining([
        { type: 'Ready', status: 'True', reason: 'KubeletReady' },
        { type: 'MemoryPressure', status: 'False' },
      ]),
    );
    expect(status.conditions).toHaveLength(2);
    expect(status.addresses).toHaveLength(2);
  });

  it('merges service ports by port', () => {
    const svc: KubeObject = {
      metadata: { name: 's' },
      spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080, name: 'http' }] },
    };
    const patched = applyPatch(
      SMP,
      svc,
      { spec: { ports: [{ port: 80, targetPort: 9090 }] } },
      { group: '', version: 'v1', kind: 'Service' },
    );
    expect((patched.spec as Loose).ports).toEqual([{ port: 80, targetPort: 9090, name: 'http' }]);
  });

  it('reaches the pod template of a CronJob through jobTemplate', () => {
    const cron: KubeObject = {
      metadata: { name: 'c' },
      spec: {
        schedule: '* * * * *',
        jobTemplate: {
          spec: {
            template: {
              spec: {
                containers: [
                  { name: 'a', image: 'a' },
                  { name: 'b', image: 'b' },
                ],
              },
            },
          },
        },
      },
    };
    const patch = {
      spec: { jobTemplate: { spec: { template: { spec: { containers: [{ name: 'b', image: 'b2' }] } } } } },
    };
    const patched = applyPatch(SMP, cron, patch, { group: 'batch', version: 'v1', kind: 'CronJob' }) as Loose;
    const containers = patched.spec.jobTemplate.spec.template.spec.containers;
    expect(containers).toHaveLength(2);
    expect(containers).toEqual(
      expect.arrayContaining([
        { name: 'a', image: 'a' },
        { name: 'b', image: 'b2' },
      ]),
    );
  });

  it('replaces a whole list given an element $patch: replace', () => {
    const original = deployment([
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b' },
    ]);
    const patch = {
      spec: { template: { spec: { containers: [{ $patch: 'replace' }, { name: 'c', image: 'c' }] } } },
    };
    expect(containersOf(applyPatch(SMP, original, patch, DEPLOYMENT))).toEqual([{ name: 'c', image: 'c' }]);
  });

  it('replaces a map given $patch: replace and empties it given $patch: delete', () => {
    const original = deployment([{ name: 'a', image: 'a' }]);
    const replaced = applyPatch(
      SMP,
      original,
      { metadata: { labels: { $patch: 'replace', only: 'this' } } },
      DEPLOYMENT,
    );
    expect(replaced.metadata.labels).toEqual({ only: 'this' });
    const emptied = applyPatch(SMP, original, { spec: { selector: { $patch: 'delete' } } }, DEPLOYMENT);
    expect((emptied.spec as Loose).selector).toEqual({});
  });

  it('treats unknown kinds as merge patch: maps merge, lists are replaced', () => {
    const widget: KubeObject = {
      apiVersion: 'example.com/v1',
      kind: 'Widget',
      metadata: { name: 'w', labels: { a: '1' } },
      spec: { items: [{ name: 'x', v: 1 }], conf: { a: 1, b: 2 } },
    };
    const patched = applyPatch(
      SMP,
      widget,
      { metadata: { labels: { b: '2' } }, spec: { items: [{ name: 'y' }], conf: { b: null, c: 3 } } },
      {
        group: 'example.com',
        version: 'v1',
        kind: 'Widget',
      },
    );
    expect(patched.metadata.labels).toEqual({ a: '1', b: '2' });
    expect(patched.spec).toEqual({ items: [{ name: 'y' }], conf: { a: 1, c: 3 } });
  });

  it('drops nulls and directives from values the original did not have', () => {
    const original = deployment([{ name: 'a', image: 'a' }]);
    const patch = {
      spec: {
        template: {
          spec: { containers: [{ name: 'b', image: 'b', command: null, env: [{ name: 'E', value: 'v' }] }] },
        },
      },
    };
    const b = containersOf(applyPatch(SMP, original, patch, DEPLOYMENT)).find((c) => c.name === 'b');
    expect(b).toEqual({ name: 'b', image: 'b', env: [{ name: 'E', value: 'v' }] });
  });

  it('answers a list element without its merge key like kube-apiserver (500, the merge key named)', () => {
    const err = smpError(deployment([{ name: 'a', image: 'a' }]), {
      spec: { template: { spec: { containers: [{ image: 'x' }] } } },
    });
    expect(err.code).toBe(500);
    expect(err.message).toBe('map: map[image:x] does not contain declared merge key: name');
  });

  it('rejects a body that is not an object with 400', () => {
    const err = smpError(deployment([]), [{ op: 'add' }]);
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
  });

  it('rejects lists of lists with 422', () => {
    const pod: KubeObject = { metadata: { name: 'p', finalizers: [] } };
    const err = smpError(pod, { metadata: { finalizers: [['x']] } }, POD);
    expect(err.code).toBe(422);
    expect(err.toStatus().details?.causes?.[0]?.message).toBe('lists of lists are not supported');
  });

  it('rejects a $setElementOrder that contradicts the patch list', () => {
    const original = deployment([
      { name: 'a', image: 'a' },
      { name: 'b', image: 'b' },
    ]);
    const patch = {
      spec: {
        template: {
          spec: {
            '$setElementOrder/containers': [{ name: 'a' }],
            containers: [{ name: 'b', image: 'b2' }],
          },
        },
      },
    };
    expect(smpError(original, patch).message).toContain("doesn't match $setElementOrder list");
  });
});
