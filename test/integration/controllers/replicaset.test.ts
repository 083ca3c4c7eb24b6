import type { ReplicaSet } from 'kubernetes-types/apps/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { type Cluster, podsOf, podTemplate, res, startCluster, until } from './harness.js';

type RS = ReplicaSet & KubeObject;
let c: Cluster;

beforeAll(async () => {
  c = await startCluster();
});
afterAll(async () => {
  await c?.stop();
});

function rs(name: string, replicas: number, nodeName?: string): RS {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: podTemplate({ app: name }, nodeName),
    },
  } as RS;
}

describe('replicaset controller', () => {
  it('scales up and down and reports status', async () => {
    await c.api.create(res('replicasets', 'apps'), rs('web', 3, 'node-1'), { namespace: 'default' });
    await until(async () => (await podsOf(c.api, 'default', 'app=web')).length === 3, '3 pods');
    const pods = await podsOf(c.api, 'default', 'app=web');
    for (const p of pods) {
      expect(p.metadata.generateName).toBe('web-');
      expect(p.metadata.ownerReferences?.[0]).toMatchObject({
        kind: 'ReplicaSet',
        name: 'web',
        controller: true,
        blockOwnerDeletion: true,
      });
    }
    const ready = await until(async () => {
      const r = await c.api.get<RS>(res('replicasets', 'apps'), 'web', { namespace: 'default' });
      return r.status?.readyReplicas === 3 && r.status.availableReplicas === 3 ? r : undefined;
    }, 'ready replicas');
    expect(ready.status).toMatchObject({ replicas: 3, fullyLabeledReplicas: 3, observedGeneration: 1 });

    await c.api.patch(res('replicasets', 'apps'), 'web', { spec: { replicas: 1 } }, 'merge', {
      namespace: 'default',
    });
    await until(async () => (await podsOf(c.api, 'default', 'app=web')).length === 1, 'scaled down to 1');
    await until(async () => {
      const r = await c.api.get<RS>(res('replicasets', 'apps'), 'web', { namespace: 'default' });
      return r.status?.replicas === 1 && r.status.observedGeneration === 2;
    }, 'status after scale down');
  });

  it('adopts matching orphans and releases pods that stop matching', async () => {
    // The orphan runs on a node and is ready, so that if the set briefly has one pod too many
    // (its cache may see the orphan late) it is the last one to be deleted.
    const orphan = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'orphan', labels: { app: 'adopt' } },
      spec: podTemplate({}, 'node-1').spec,
    };
    await c.api.create(res('pods'), orphan as KubeObject, { namespace: 'default' });
    await c.api.create(res('replicasets', 'apps'), rs('adopt', 2), { namespace: 'default' });
    const adopted = await until(async () => {
      const p = await c.api.get(res('pods'), 'orphan', { namespace: 'default' });
      return p.metadata.ownerReferences?.[0]?.name === 'adopt' ? p : undefined;
    }, 'adoption');
    expect(adopted.metadata.ownerReferences?.[0]?.controller).toBe(true);
    await until(
      async () => (await podsOf(c.api, 'default', 'app=adopt')).length === 2,
      'two pods with the orphan',
    );
    // Relabel the adopted pod: it is released and replaced.
    await c.api.patch(res('pods'), 'orphan', { metadata: { labels: { app: 'other' } } }, 'merge', {
      namespace: 'default',
    });
    await until(async () => {
      const p = await c.api.get(res('pods'), 'orphan', { namespace: 'default' });
      return (p.metadata.ownerReferences ?? []).length === 0;
    }, 'release');
    await until(async () => (await podsOf(c.api, 'default', 'app=adopt')).length === 2, 'replacement pod');
  });
});
