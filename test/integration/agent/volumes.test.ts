import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ConfigMap, Event, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstHostIPv4 } from '../../../agent/node-info.js';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import { eventually } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

const run = promisify(execFile);
const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };
const NODE = 'volumes-test-node';
const NODE_IP = firstHostIPv4() ?? '';

let h: KubeletHarness | undefined;
let api: ApiClient;
let logsDir: string;
let rootDir: string;
let hostDir: string;

const getPod = (name: string) => api.get<Pod>(PODS, name, { namespace: 'default' });

async function containerOutput(pod: Pod, container = 'c'): Promise<string> {
  const m = pod.metadata ?? {};
  const file = join(logsDir, `${m.namespace}_${m.name}_${m.uid}`, container, '0.log');
  const text = await readFile(file, 'utf8').catch(() => '');
  return text
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ').slice(3).join(' '))
    .join('\n');
}

async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8');
  return text
    .split('\n')
    .map((l) => l.split(' ')[4] ?? '')
    .filter((p) => p.startsWith(dir));
}

async function running(name: string): Promise<Pod> {
  return eventually(`${name} Running`, async () => {
    const p = await getPod(name);
    return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
  });
}

beforeAll(async () => {
  if (!NODE_IP) throw new Error('the host has no non-internal IPv4 address');
  h = await startKubeletHarness({ name: 'vol', nodeName: NODE, nodeIP: NODE_IP });
  ({ api, logsDir, rootDir } = h);
  hostDir = join(h.dir, 'host');
  await mkdir(hostDir);
}, 90_000);

afterAll(async () => {
  // Pods left running when the kubelet stopped keep their tmpfs volumes mounted.
  await h?.close(async () => {
    for (const m of (await mountsUnder(rootDir)).sort().reverse()) await run('umount', [m]);
  });
}, 60_000);

// Prints what the container sees in its volumes, then the configMap value every 0.5 s.
const SCRIPT = `
echo "cfg=$(cat /cfg/greeting)"
echo "cfg-item=$(cat /cfg-items/sub/renamed)"
echo "cfg-ro=$(touch /cfg/x 2>/dev/null && echo writable || echo readonly)"
echo "secret=$(cat /sec/password)"
echo "secret-mode=$(stat -L -c %a /sec/password)"
echo "secret-fs=$(df -P /sec | tail -1 | cut -d' ' -f1)"
echo "labels=$(cat /info/labels | tr '\\n' ' ')"
echo "info-name=$(cat /info/name)"
echo "info-mem=$(cat /info/mem)"
echo "proj=$(cat /proj/cm-greeting)/$(cat /proj/pw)/$(cat /proj/ns)"
echo "proj-token=$(test -e /proj/token && echo present || echo absent)"
echo "scratch=$(echo data > /scratch/f && cat /scratch/f)"
echo "mem-fs=$(df -P /mem | tail -1 | cut -d' ' -f1)"
echo "host=$(cat /host/hello)"
echo from-container > /host/out
echo "sub=$(cat /sub-host)"
echo "termlog=$(test -w /dev/termination-log && echo writable)"
while true; do echo "tick cfg=$(cat /cfg/greeting)"; sleep 0.5; done
`;

describe('pod volumes through the kubelet', () => {
  it('serves configMap, secret, downwardAPI, projected, emptyDir and hostPath volumes, updates in place, cleans up', async () => {
    await writeFile(join(hostDir, 'hello'), 'from-host');
    await api.create<ConfigMap>(CONFIGMAPS, {
      metadata: { name: 'vol-config', namespace: 'default' },
      data: { greeting: 'hello-v1', other: 'x' },
    });
    await api.create<Secret>(SECRETS, {
      metadata: { name: 'vol-secret', namespace: 'default' },
      data: { password: Buffer.from('hunter2').toString('base64') },
    });
    await api.create<Pod>(PODS, {
      metadata: { name: 'vols', namespace: 'default', labels: { app: 'vols', tier: 'x' } },
      spec: {
        nodeName: NODE,
        hostNetwork: true,
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'c',
            image: BUSYBOX_IMAGE,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', SCRIPT],
            resources: { limits: { memory: '64Mi' } },
            volumeMounts: [
              { name: 'cfg', mountPath: '/cfg' },
              { name: 'cfg-items', mountPath: '/cfg-items' },
              { name: 'sec', mountPath: '/sec' },
              { name: 'info', mountPath: '/info' },
              { name: 'proj', mountPath: '/proj' },
              { name: 'scratch', mountPath: '/scratch' },
              { name: 'mem', mountPath: '/mem' },
              { name: 'host', mountPath: '/host' },
              { name: 'host', mountPath: '/sub-host', subPath: 'hello', readOnly: true },
            ],
          },
        ],
        volumes: [
          { name: 'cfg', configMap: { name: 'vol-config' } },
          {
            name: 'cfg-items',
            configMap: { name: 'vol-config', items: [{ key: 'greeting', path: 'sub/renamed' }] },
          },
          { name: 'sec', secret: { secretName: 'vol-secret', defaultMode: 0o400 } },
          {
            name: 'info',
            downwardAPI: {
              items: [
                { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
                { path: 'name', fieldRef: { fieldPath: 'metadata.name' } },
                {
                  path: 'mem',
                  resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' },
                },
              ],
            },
          },
          {
            name: 'proj',
            projected: {
              sources: [
                { configMap: { name: 'vol-config', items: [{ key: 'greeting', path: 'cm-greeting' }] } },
                { secret: { name: 'vol-secret', items: [{ key: 'password', path: 'pw' }] } },
                { downwardAPI: { items: [{ path: 'ns', fieldRef: { fieldPath: 'metadata.namespace' } }] } },
                { serviceAccountToken: { path: 'token', expirationSeconds: 3600 } },
              ],
            },
          },
          { name: 'scratch', emptyDir: {} },
          { name: 'mem', emptyDir: { medium: 'Memory', sizeLimit: '16Mi' } },
          { name: 'host', hostPath: { path: hostDir, type: 'Directory' } },
        ],
      },
    });
    const pod = await running('vols');
    const uid = pod.metadata?.uid ?? '';
    const out = await eventually('volume report', async () => {
      const o = await containerOutput(pod);
      return o.includes('tick') ? o : undefined;
    });
    const lines = new Set(out.split('\n'));
    for (const want of [
      'cfg=hello-v1',
      'cfg-item=hello-v1',
      'cfg-ro=readonly',
      'secret=hunter2',
      'secret-mode=400',
      'secret-fs=tmpfs',
      'labels=app="vols" tier="x"',
      'info-name=vols',
      'info-mem=64',
      'proj=hello-v1/hunter2/default',
      'scratch=data',
      'mem-fs=tmpfs',
      'host=from-host',
      'sub=from-host',
      'termlog=writable',
    ])
      expect(lines, out).toContain(want);
    expect(await readFile(join(hostDir, 'out'), 'utf8')).toBe('from-container\n');

    // On the host, upstream's layout.
    const vols = join(rootDir, 'pods', uid, 'volumes');
    expect((await stat(join(vols, 'kubernetes.io~configmap/cfg/..data'))).isDirectory()).toBe(true);
    expect(await readFile(join(vols, 'kubernetes.io~secret/sec/password'), 'utf8')).toBe('hunter2');
    const mounts = await mountsUnder(join(rootDir, 'pods', uid));
    expect(mounts.sort()).toEqual(
      [
        join(vols, 'kubernetes.io~empty-dir/mem'),
        join(vols, 'kubernetes.io~projected/proj'),
        join(vols, 'kubernetes.io~secret/sec'),
      ].sort(),
    );

    // The ConfigMap changes: the running container sees the new value without a restart.
    await api.patch<ConfigMap>(CONFIGMAPS, 'vol-config', { data: { greeting: 'hello-v2' } }, 'merge', {
      namespace: 'default',
    });
    await eventually(
      'configMap volume updated in place',
      async () => ((await containerOutput(pod)).includes('tick cfg=hello-v2') ? true : undefined),
      30_000,
    );
    expect((await getPod('vols')).status?.containerStatuses?.[0]?.restartCount).toBe(0);

    await api.delete(PODS, 'vols', { namespace: 'default', gracePeriodSeconds: 0 });
    await eventually('pod directory removed', async () =>
      (await stat(join(rootDir, 'pods', uid)).catch(() => undefined)) ? undefined : true,
    );
    expect(await mountsUnder(join(rootDir, 'pods', uid))).toEqual([]);
  }, 90_000);

  it('keeps a pod whose volume source is missing in ContainerCreating with a FailedMount Event, then starts it', async () => {
    await api.create<Pod>(PODS, {
      metadata: { name: 'needs-secret', namespace: 'default' },
      spec: {
        nodeName: NODE,
        hostNetwork: true,
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: 'c',
            image: BUSYBOX_IMAGE,
            imagePullPolicy: 'Never',
            command: ['sh', '-c', 'cat /s/token; echo; sleep 1000'],
            volumeMounts: [{ name: 's', mountPath: '/s' }],
          },
        ],
        volumes: [{ name: 's', secret: { secretName: 'late-secret' } }],
      },
    });
    const waiting = await eventually('needs-secret waiting', async () => {
      const w = (await getPod('needs-secret')).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'ContainerCreating' && w.message ? w : undefined;
    });
    expect(waiting.message).toBe('MountVolume.SetUp failed for volume "s" : secret "late-secret" not found');
    const event = await eventually('FailedMount event', async () => {
      const list = await api.list<Event>(EVENTS, { namespace: 'default' });
      return list.items.find((e) => e.reason === 'FailedMount' && e.involvedObject.name === 'needs-secret');
    });
    expect(event.type).toBe('Warning');
    expect(event.message).toBe(waiting.message);

    await api.create<Secret>(SECRETS, {
      metadata: { name: 'late-secret', namespace: 'default' },
      data: { token: Buffer.from('finally').toString('base64') },
    });
    const pod = await running('needs-secret');
    expect(await eventually('output', async () => (await containerOutput(pod)) || undefined)).toBe('finally');
  }, 60_000);

  it('refuses a hostPath that is not of the declared type', async () => {
    await api.create<Pod>(PODS, {
      metadata: { name: 'bad-host', namespace: 'default' },
      spec: {
        nodeName: NODE,
        hostNetwork: true,
        terminationGracePeriodSeconds: 0,
        containers: [
          { name: 'c', image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', command: ['sleep', '1000'] },
        ],
        volumes: [{ name: 'h', hostPath: { path: join(hostDir, 'hello'), type: 'Directory' } }],
      },
    });
    const waiting = await eventually('bad-host waiting', async () => {
      const w = (await getPod('bad-host')).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.message ? w : undefined;
    });
    expect(waiting.message).toBe(
      `MountVolume.SetUp failed for volume "h" : hostPath type check failed: ${join(hostDir, 'hello')} is not a directory`,
    );
  }, 30_000);
});
