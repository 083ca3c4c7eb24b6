import { mkdir, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONFIG_MIRROR_ANNOTATION } from '../../../agent/static-pods.js';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import { eventually } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const NODE = 'static-pods-node';

let h: KubeletHarness | undefined;
let api: ApiClient;
let cri: CriClient;
let manifests: string;

function manifest(name: string, command: string): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: ${name}
  labels: { tier: static }
spec:
  hostNetwork: true
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: ${BUSYBOX_IMAGE}
    imagePullPolicy: Never
    command: ["sh", "-c", "${command}"]
`;
}

const mirrorOf = (name: string) => api.get<Pod>(PODS, `${name}-${NODE}`, { namespace: 'default' });
const runningMirror = (name: string) =>
  eventually(`mirror of ${name} Running`, async () => {
    const p = await mirrorOf(name);
    return p.status?.phase === 'Running' && p.status.containerStatuses?.[0]?.state?.running ? p : undefined;
  });
const sandboxesOf = async (uid: string) =>
  (await cri.runtime.listPodSandbox({ labelSelector: { 'io.kubernetes.pod.uid': uid } })).filter(
    (s) => s.state === 'SANDBOX_READY',
  );

beforeAll(async () => {
  h = await startKubeletHarness({
    name: 'static',
    nodeName: NODE,
    nodeIP: '127.0.0.1',
    startKubelet: false,
    kubelet: () => ({ manifestDir: manifests, nodeStatusCheckMs: 500 }),
  });
  ({ api, cri } = h);
  manifests = join(h.dir, 'manifests');
  await mkdir(manifests);
  await writeFile(join(manifests, 'web.yaml'), manifest('web', 'sleep 1000'));
  await writeFile(join(manifests, 'broken.yaml'), 'kind: Pod\nmetadata: {name: [\n');
  await writeFile(join(manifests, '.hidden.yaml'), manifest('hidden', 'sleep 1000'));
  h.startKubelet();
}, 90_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

describe('static pods from --pod-manifest-path', () => {
  it('runs a manifest pod and mirrors it, Running, into the API; malformed and hidden files are skipped', async () => {
    const mirror = await runningMirror('web');
    expect(mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION]).toMatch(/^[0-9a-f]{32}$/);
    expect(mirror.metadata?.ownerReferences?.[0]).toMatchObject({ kind: 'Node', name: NODE });
    expect(mirror.spec?.nodeName).toBe(NODE);
    expect(mirror.metadata?.labels).toEqual({ tier: 'static' });
    const staticUid = mirror.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] ?? '';
    expect(await sandboxesOf(staticUid)).toHaveLength(1);
    const pods = await api.list<Pod>(PODS, { namespace: 'default' });
    expect(pods.items.map((p) => p.metadata?.name).sort()).toEqual([`web-${NODE}`]);
  });

  it('recreates a deleted mirror without restarting the pod', async () => {
    const before = await runningMirror('web');
    const started = before.status?.containerStatuses?.[0]?.state?.running?.startedAt;
    await api.delete(PODS, `web-${NODE}`, { namespace: 'default' });
    const after = await eventually('new mirror', async () => {
      const p = await mirrorOf('web').catch(() => undefined);
      return p && p.metadata?.uid !== before.metadata?.uid && p.status?.phase === 'Running' ? p : undefined;
    });
    expect(after.status?.containerStatuses?.[0]?.state?.running?.startedAt).toBe(started);
    expect(after.status?.containerStatuses?.[0]?.restartCount).toBe(0);
  });

  it('replaces the pod when its manifest changes and removes it when the manifest goes', async () => {
    const old = await runningMirror('web');
    const oldUid = old.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] ?? '';
    await writeFile(join(manifests, 'web.yaml'), manifest('web', 'sleep 2000'));
    const updated = await eventually('mirror of the new manifest', async () => {
      const p = await mirrorOf('web').catch(() => undefined);
      const uid = p?.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION];
      return uid && uid !== oldUid && p?.status?.phase === 'Running' ? p : undefined;
    });
    expect(updated.spec?.containers[0]?.command).toEqual(['sh', '-c', 'sleep 2000']);
    await eventually('old static pod removed from the runtime', async () =>
      (await sandboxesOf(oldUid)).length === 0 ? true : undefined,
    );
    const newUid = updated.metadata?.annotations?.[CONFIG_MIRROR_ANNOTATION] ?? '';
    await unlink(join(manifests, 'web.yaml'));
    await eventually('mirror deleted', async () =>
      (await mirrorOf('web').catch(() => undefined)) === undefined ? true : undefined,
    );
    await eventually('static pod removed from the runtime', async () =>
      (await sandboxesOf(newUid)).length === 0 ? true : undefined,
    );
  });
});
