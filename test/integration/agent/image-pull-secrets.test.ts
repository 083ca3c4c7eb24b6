import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod, Secret } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubelet } from '../../../agent/run.js';
import { loadKubeconfig } from '../../../client/kubeconfig.js';
import { ApiClient, type ResourceRef } from '../../../client/rest-client.js';
import { buildBusyboxImage } from '../../support/busybox-image.js';
import { startTestContainerd, type TestContainerd } from '../../support/containerd.js';
import { eventually } from '../../support/eventually.js';
import {
  REGISTRY_PASSWORD,
  REGISTRY_USER,
  startTestRegistry,
  type TestRegistry,
} from '../../support/registry.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const NODE = 'pull-secrets-node';

let server: TestServer;
let ctrd: TestContainerd;
let registry: TestRegistry;
let api: ApiClient;
let tmp: string;
let image: string;
const stop = new AbortController();
let kubelet: Promise<void> | undefined;

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
  [server, ctrd, registry] = await Promise.all([
    startSkiffServer([]),
    startTestContainerd(),
    startTestRegistry({ auth: true }),
  ]);
  await ctrd.allowPlainHttpRegistry(registry.host);
  tmp = await mkdtemp(join(tmpdir(), 'skiff-pull-secrets-'));
  image = await registry.push(
    await buildBusyboxImage({ name: 'skiff/private:v1', outDir: tmp }),
    'skiff/private',
    'v1',
  );
  api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), { component: 'pull-secrets-test' });
  kubelet = startKubelet({
    api,
    log: pino({ level: process.env.SKIFF_LOG_LEVEL ?? 'error' }),
    signal: stop.signal,
    nodeName: NODE,
    nodeIP: '127.0.0.1',
    criEndpoint: ctrd.endpoint,
    cgroupRoot: ctrd.cgroupRoot,
    podLogsDir: join(tmp, 'logs'),
    rootDir: join(tmp, 'kubelet'),
    nodeStatusCheckMs: 500,
  });
}, 90_000);

afterAll(async () => {
  stop.abort();
  await kubelet?.catch(() => undefined);
  await api?.close();
  await Promise.all([ctrd?.stop(), server?.stop(), registry?.stop()]);
  if (tmp) await rm(tmp, { recursive: true, force: true });
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
