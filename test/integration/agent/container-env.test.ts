import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConfigMap, Event, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstHostIPv4 } from '../../../agent/node-info.js';
import type { ApiClient, ResourceRef } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';
import { BUSYBOX_IMAGE } from '../../support/busybox-image.js';
import { eventually } from '../../support/eventually.js';
import { type KubeletHarness, startKubeletHarness } from '../../support/kubelet-harness.js';

const PODS: ResourceRef = { group: '', version: 'v1', plural: 'pods', namespaced: true };
const CONFIGMAPS: ResourceRef = { group: '', version: 'v1', plural: 'configmaps', namespaced: true };
const EVENTS: ResourceRef = { group: '', version: 'v1', plural: 'events', namespaced: true };
const SERVICES: ResourceRef = { group: '', version: 'v1', plural: 'services', namespaced: true };
const SECRETS: ResourceRef = { group: '', version: 'v1', plural: 'secrets', namespaced: true };
const NODE = 'env-test-node';
// The host's own address: what the kubelet reports as hostIP (and podIP, host network) by default.
const NODE_IP = firstHostIPv4() ?? '';

let h: KubeletHarness | undefined;
let api: ApiClient;
let cri: CriClient;
let logsDir: string;

const getPod = (name: string) => api.get<Pod>(PODS, name, { namespace: 'default' });

/** The text the pod's container wrote to stdout/stderr, from its CRI log file. */
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

function busybox(name: string, container: NonNullable<Pod['spec']>['containers'][number]): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default', labels: { app: name } },
    spec: {
      nodeName: NODE,
      hostNetwork: true,
      terminationGracePeriodSeconds: 0,
      containers: [{ image: BUSYBOX_IMAGE, imagePullPolicy: 'Never', ...container }],
    },
  };
}

beforeAll(async () => {
  if (!NODE_IP) throw new Error('the host has no non-internal IPv4 address');
  h = await startKubeletHarness({ name: 'env', nodeName: NODE, nodeIP: NODE_IP });
  ({ api, cri, logsDir } = h);
}, 90_000);

afterAll(async () => {
  await h?.close();
}, 60_000);

describe('container env, command and resources through the kubelet', () => {
  it('gives a container env from a ConfigMap, a Secret, the downward API, with $(VAR) expansion', async () => {
    await api.create<ConfigMap>(CONFIGMAPS, {
      metadata: { name: 'app-config', namespace: 'default' },
      data: { MODE: 'fast', LEVEL: '3' },
    });
    await api.create<ConfigMap>(CONFIGMAPS, {
      metadata: { name: 'odd-config', namespace: 'default' },
      data: { '1st': 'skipped', ODD_OK: 'yes' },
    });
    await api.create<Secret>(SECRETS, {
      metadata: { name: 'app-secret', namespace: 'default' },
      data: { password: Buffer.from('s3cr3t').toString('base64') },
    });
    await api.create<Pod>(
      PODS,
      busybox('env-pod', {
        name: 'c',
        command: ['sh', '-c', 'echo "CMD=$1 ESC=$2"; echo "ID=$(id -u):$(id -g)"; env | sort; sleep 1000'],
        args: ['sh', '$(POD_NAME)/$(FROM_CM)', '$$(POD_NAME)'],
        envFrom: [
          { configMapRef: { name: 'app-config' }, prefix: 'CFG_' },
          { configMapRef: { name: 'odd-config' } },
        ],
        env: [
          { name: 'FROM_CM', valueFrom: { configMapKeyRef: { name: 'app-config', key: 'MODE' } } },
          { name: 'FROM_SECRET', valueFrom: { secretKeyRef: { name: 'app-secret', key: 'password' } } },
          { name: 'OPTIONAL', valueFrom: { secretKeyRef: { name: 'absent', key: 'x', optional: true } } },
          { name: 'GREETING', value: 'mode=$(FROM_CM) level=$(CFG_LEVEL) keep=$$(FROM_CM)' },
          { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          { name: 'POD_NS', valueFrom: { fieldRef: { fieldPath: 'metadata.namespace' } } },
          { name: 'APP', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          { name: 'NODE', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } },
          { name: 'POD_IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
          { name: 'HOST_IP', valueFrom: { fieldRef: { fieldPath: 'status.hostIP' } } },
          { name: 'CPU_MILLIS', valueFrom: { resourceFieldRef: { resource: 'limits.cpu', divisor: '1m' } } },
          {
            name: 'MEM_MI',
            valueFrom: { resourceFieldRef: { resource: 'requests.memory', divisor: '1Mi' } },
          },
        ],
        resources: { limits: { cpu: '250m', memory: '64Mi' }, requests: { cpu: '100m', memory: '32Mi' } },
        securityContext: { runAsUser: 1234, runAsGroup: 2345, allowPrivilegeEscalation: false },
      }),
    );
    const pod = await eventually('env-pod Running', async () => {
      const p = await getPod('env-pod');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    const out = await eventually('env printed', async () => {
      const o = await containerOutput(pod);
      return o.includes('POD_NAME=') ? o : undefined;
    });
    const lines = new Set(out.split('\n'));
    for (const want of [
      'CMD=env-pod/fast ESC=$(POD_NAME)',
      'ID=1234:2345',
      'CFG_MODE=fast',
      'CFG_LEVEL=3',
      'FROM_CM=fast',
      'FROM_SECRET=s3cr3t',
      'GREETING=mode=fast level=3 keep=$(FROM_CM)',
      'POD_NAME=env-pod',
      'POD_NS=default',
      'APP=env-pod',
      `NODE=${NODE}`,
      `POD_IP=${NODE_IP}`,
      `HOST_IP=${NODE_IP}`,
      'CPU_MILLIS=250',
      'MEM_MI=32',
      'ODD_OK=yes',
    ])
      expect(lines, out).toContain(want);
    expect(out).not.toContain('OPTIONAL=');
    // Service links: the API's own Service, as in-cluster clients find it.
    const kube = await api.get<Service>(SERVICES, 'kubernetes', { namespace: 'default' });
    expect(kube.spec?.clusterIP).toBeTruthy();
    expect(lines).toContain(`KUBERNETES_SERVICE_HOST=${kube.spec?.clusterIP}`);
    expect(lines).toContain(`KUBERNETES_SERVICE_PORT=${kube.spec?.ports?.[0]?.port}`);
    expect(out).not.toContain('1st=');
    const events = await api.list<Event>(EVENTS, { namespace: 'default' });
    expect(events.items.find((e) => e.reason === 'InvalidEnvironmentVariableNames')?.message).toBe(
      'Keys [1st] from the EnvFrom configMap default/odd-config were skipped since they are considered invalid environment variable names.',
    );

    // Resources reached the runtime as CRI linux resources.
    const id = pod.status?.containerStatuses?.[0]?.containerID?.replace('containerd://', '') ?? '';
    const res = (await cri.runtime.containerStatus(id)).status?.resources?.linux;
    expect(res?.cpuShares).toBe('102');
    expect(res?.cpuQuota).toBe('25000');
    expect(res?.cpuPeriod).toBe('100000');
    expect(res?.memoryLimitInBytes).toBe(String(64 * 1024 * 1024));
  }, 60_000);

  it('keeps a pod waiting with CreateContainerConfigError while its ConfigMap is missing, then starts it', async () => {
    await api.create<Pod>(
      PODS,
      busybox('waiter', {
        name: 'c',
        command: ['sh', '-c', 'echo "LATE=$LATE"; sleep 1000'],
        env: [{ name: 'LATE', valueFrom: { configMapKeyRef: { name: 'late-config', key: 'v' } } }],
      }),
    );
    const waiting = await eventually('waiter waiting', async () => {
      const w = (await getPod('waiter')).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    });
    expect(waiting.message).toBe('configmap "late-config" not found');
    expect((await getPod('waiter')).status?.phase).toBe('Pending');

    await api.create<ConfigMap>(CONFIGMAPS, {
      metadata: { name: 'late-config', namespace: 'default' },
      data: { v: 'arrived' },
    });
    const pod = await eventually('waiter Running', async () => {
      const p = await getPod('waiter');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    expect(await eventually('output', async () => (await containerOutput(pod)) || undefined)).toContain(
      'LATE=arrived',
    );
  }, 60_000);

  it('applies the security context: read-only root, capabilities, no_new_privs', async () => {
    await api.create<Pod>(
      PODS,
      busybox('locked', {
        name: 'c',
        command: [
          'sh',
          '-c',
          'touch /x 2>/dev/null && echo root=rw || echo root=ro; grep -E "^(CapEff|NoNewPrivs):" /proc/self/status | tr -d "\\t"; sleep 1000',
        ],
        securityContext: {
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: { drop: ['ALL'], add: ['NET_BIND_SERVICE'] },
        },
      }),
    );
    const pod = await eventually('locked Running', async () => {
      const p = await getPod('locked');
      return p.status?.containerStatuses?.[0]?.state?.running ? p : undefined;
    });
    const out = await eventually('locked output', async () => {
      const o = await containerOutput(pod);
      return o.includes('NoNewPrivs') ? o : undefined;
    });
    // CAP_NET_BIND_SERVICE is bit 10.
    expect(out.split('\n')).toEqual(['root=ro', 'CapEff:0000000000000400', 'NoNewPrivs:1']);
  }, 30_000);

  it('refuses runAsNonRoot for a container running as root', async () => {
    await api.create<Pod>(
      PODS,
      busybox('rooty', {
        name: 'c',
        command: ['sleep', '1000'],
        securityContext: { runAsNonRoot: true, runAsUser: 0 },
      }),
    );
    const waiting = await eventually('rooty waiting', async () => {
      const w = (await getPod('rooty')).status?.containerStatuses?.[0]?.state?.waiting;
      return w?.reason === 'CreateContainerConfigError' ? w : undefined;
    });
    expect(waiting.message).toMatch(/^container's runAsUser breaks non-root policy \(pod: "rooty_default\(/);
  }, 30_000);
});
