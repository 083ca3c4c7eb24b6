import type { Pod, Secret } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import { buildBusyboxImage } from '../../support/busybox-image.js';
import { eventually } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  startTestRegistry,
  type TestRegistry,
} from '../../support/registry.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const NODE = 'pull-secrets-node';

let h: KubeletHarness | undefined;
let registry: TestRegistry;
let api: ApiClient;
let image: string;

function pod(name: string, secret?: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: {
      nodeName: NODE,
      hostNetwork: true,
      terminationGracePeriodSeconds: 0,
      ...(secret ? { imagePullSecrets: [{ name: secret }] } : {}),
      containers: [{ name: 'c', image, imagePullPolicy: 'Always', command: ['sleep', '1000'] }],
    },
  };
}

const waitingReason = (name: string) =>
  eventually(`${name} waiting reason`, async () => {
    const p = await api.get<Pod>(PODS, name, { namespace: 'default' });
    return p.status?.containerStatuses?.[0]?.state?.waiting?.reason || undefined;
  });

beforeAll(async () => {
  [h, registry] = await Promise.all([
    startKubeletHarness({
      name: 'pull-secrets',
      nodeName: NODE,
      nodeIP: '127.0.0.1',
      busybox: false,
      startKubelet: false,
      kubelet: () => ({ nodeStatusCheckMs: 500 }),
    }),
    startTestRegistry({ auth: true }),
  ]);
  api = h.api;
  await h.ctrd.allowPlainHttpRegistry(registry.host);
  image = await registry.push(
    await buildBusyboxImage({ name: 'skiff/private:v1', outDir: h.dir }),
    'skiff/private',
    'v1',
  );
  h.startKubelet();
}, 90_000);

afterAll(async () => {
  await Promise.all([h?.close(), registry?.stop()]);
}, 60_000);

describe('imagePullSecrets', () => {
  it('fails to pull from a private registry without credentials (ErrImagePull, then back-off)', async () => {
    await api.create(PODS, pod('anonymous'), { namespace: 'default' });
    expect(await waitingReason('anonymous')).toMatch(/^(ErrImagePull|ImagePullBackOff)$/);
    const p = await api.get<Pod>(PODS, 'anonymous', { namespace: 'default' });
    expect(p.status?.containerStatuses?.[0]?.state?.waiting?.message).toMatch(
      /401|unauthorized|authorization/i,
    );
  });

  it('pulls with the dockerconfigjson secret the pod names and runs it', async () => {
    const auths = {
      [registry.host]: { auth: Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64') },
    };
    const secret: Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'regcred', namespace: 'default' },
      type: 'kubernetes.io/dockerconfigjson',
      data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
    };
    await api.create(SECRETS, secret, { namespace: 'default' });
    await api.create(PODS, pod('private', 'regcred'), { namespace: 'default' });
    const running = await eventually('private pod Running', async () => {
      const p = await api.get<Pod>(PODS, 'private', { namespace: 'default' });
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    expect(running.status?.containerStatuses?.[0]?.imageID).toMatch(/sha256:/);
  });
});
