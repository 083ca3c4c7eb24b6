import type { Deployment } from 'kubernetes-types/apps/v1.js';
import type { PodDisruptionBudget } from 'kubernetes-types/policy/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { type Cluster, type PodObject, podsOf, podTemplate, res, startCluster, until } from './harness.js';

type Pdb = PodDisruptionBudget & KubeObject;
const PDBS = res('poddisruptionbudgets', 'policy');
const DEPLOYMENTS = res('deployments', 'apps');
let c: Cluster;

beforeAll(async () => {
  c = await startCluster(['*']);
});
afterAll(async () => {
  await c?.stop();
});

async function statusOf(name: string): Promise<Pdb['status']> {
  return (await c.api.get<Pdb>(PDBS, name, { namespace: 'default' })).status;
}

describe('disruption controller', () => {
  it('follows the Deployment scale and pod readiness for a percentage maxUnavailable', async () => {
    await c.api.create(
      DEPLOYMENTS,
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'pdb-web' },
        spec: {
          replicas: 4,
          selector: { matchLabels: { app: 'pdb-web' } },
          template: podTemplate({ app: 'pdb-web' }, 'node-1'),
        },
      } as Deployment & KubeObject,
      { namespace: 'default' },
    );
    await c.api.create(
      PDBS,
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'pdb-web' },
        spec: { maxUnavailable: '25%', selector: { matchLabels: { app: 'pdb-web' } } },
      } as Pdb,
      { namespace: 'default' },
    );
    // Four expected, one may be unavailable: with all four ready, one disruption is allowed.
    const ready = await until(async () => {
      const s = await statusOf('pdb-web');
      return s?.currentHealthy === 4 ? s : undefined;
    }, 'four healthy');
    expect(ready).toMatchObject({
      expectedPods: 4,
      desiredHealthy: 3,
      disruptionsAllowed: 1,
      observedGeneration: 1,
    });

    // One pod stops being ready: nothing more may go.
    const [victim] = await podsOf(c.api, 'default', 'app=pdb-web');
    const name = victim?.metadata.name ?? '';
    c.kubelet.ready = (p: PodObject) => p.metadata.name !== name;
    c.kubelet.resync();
    const blocked = await until(async () => {
      const s = await statusOf('pdb-web');
      return s?.currentHealthy === 3 ? s : undefined;
    }, 'three healthy');
    expect(blocked?.disruptionsAllowed).toBe(0);
    expect(blocked?.conditions?.find((x) => x.type === 'DisruptionAllowed')).toMatchObject({
      status: 'False',
      reason: 'InsufficientPods',
    });

    // Scaling the Deployment to 8 raises expectedPods from its scale: ceil(25% of 8) = 2 may go.
    await c.api.patch(DEPLOYMENTS, 'pdb-web', { spec: { replicas: 8 } }, 'merge', { namespace: 'default' });
    const scaled = await until(async () => {
      const s = await statusOf('pdb-web');
      return s?.expectedPods === 8 && s.currentHealthy === 7 ? s : undefined;
    }, 'scaled budget');
    expect(scaled).toMatchObject({ desiredHealthy: 6, disruptionsAllowed: 1 });
    c.kubelet.ready = () => true;
    c.kubelet.resync();
    await until(async () => (await statusOf('pdb-web'))?.disruptionsAllowed === 2, 'two allowed');
  });

  it('records a spec change in observedGeneration', async () => {
    await c.api.patch(PDBS, 'pdb-web', { spec: { maxUnavailable: 0 } }, 'merge', { namespace: 'default' });
    const s = await until(async () => {
      const st = await statusOf('pdb-web');
      return st?.observedGeneration === 2 ? st : undefined;
    }, 'generation 2 observed');
    expect(s).toMatchObject({ desiredHealthy: 8, disruptionsAllowed: 0 });
  });
});
