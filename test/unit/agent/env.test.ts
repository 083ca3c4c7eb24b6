import type { ConfigMap, Container, Pod, Secret, Service } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import { resolveContainerEnv } from '../../../agent/env/container-env.js';
import { expandVars } from '../../../agent/env/expand.js';
import { formatMap, podFieldValue } from '../../../agent/env/field-ref.js';
import { containerResourceValue } from '../../../agent/env/resource-field-ref.js';
import { serviceEnv } from '../../../agent/env/service-env.js';
import { parseQuantity } from '../../../api/quantity.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

function sources(cms: Record<string, ConfigMap>, secrets: Record<string, Secret> = {}) {
  return {
    configMap: async (_ns: string, name: string) => cms[name],
    secret: async (_ns: string, name: string) => secrets[name],
  };
}

const addresses = { hostIPs: ['10.0.0.1'], podIPs: ['10.1.0.5', 'fd00::5'] };
const allocatable = async () => ({ cpu: parseQuantity('4'), memory: parseQuantity('8Gi') });

function pod(container: Container): Pod {
  return {
    metadata: {
      name: 'web',
      namespace: 'prod',
      uid: 'u-1',
      labels: { app: 'web', tier: 'front' },
      annotations: { note: 'say "hi"\n' },
    },
    spec: { nodeName: 'n1', serviceAccountName: 'sa1', containers: [container] },
  };
}

describe('$(VAR) expansion', () => {
  const lookup = (n: string) => ({ A: 'x', B: 'y' })[n];
  it('replaces defined variables and keeps unknown ones as written', () => {
    expect(expandVars('$(A)-$(B)-$(C)', lookup)).toBe('x-y-$(C)');
  });
  it('treats $$ as an escaped $', () => {
    expect(expandVars('$$(A) $$ a$$b', lookup)).toBe('$(A) $ a$b');
  });
  it('keeps lone $, $ before other characters and unterminated $( literally', () => {
    expect(expandVars('$A $ $(A', lookup)).toBe('$A $ $(A');
    expect(expandVars('end$', lookup)).toBe('end$');
    expect(expandVars('$()', lookup)).toBe('$()');
  });
});

describe('downward API fields', () => {
  const p = pod({ name: 'c' });
  it('resolves metadata, spec and status fields', () => {
    expect(podFieldValue(p, 'metadata.name', addresses)).toBe('web');
    expect(podFieldValue(p, 'metadata.namespace', addresses)).toBe('prod');
    expect(podFieldValue(p, 'metadata.uid', addresses)).toBe('u-1');
    expect(podFieldValue(p, "metadata.labels['app']", addresses)).toBe('web');
    expect(podFieldValue(p, "metadata.labels['none']", addresses)).toBe('');
    expect(podFieldValue(p, "metadata.annotations['note']", addresses)).toBe('say "hi"\n');
    expect(podFieldValue(p, 'spec.nodeName', addresses)).toBe('n1');
    expect(podFieldValue(p, 'spec.serviceAccountName', addresses)).toBe('sa1');
    expect(podFieldValue(p, 'status.hostIP', addresses)).toBe('10.0.0.1');
    expect(podFieldValue(p, 'status.podIP', addresses)).toBe('10.1.0.5');
    expect(podFieldValue(p, 'status.podIPs', addresses)).toBe('10.1.0.5,fd00::5');
    expect(podFieldValue(p, 'status.hostIPs', addresses)).toBe('10.0.0.1');
  });
  it('prints whole label and annotation maps sorted, values Go-quoted', () => {
    expect(podFieldValue(p, 'metadata.labels', addresses)).toBe('app="web"\ntier="front"');
    expect(formatMap({ b: 'a\\b', a: 'say "hi"\n' })).toBe('a="say \\"hi\\"\\n"\nb="a\\\\b"');
  });
  it('refuses unsupported paths', () => {
    expect(() => podFieldValue(p, 'spec.hostname', addresses)).toThrow(
      'unsupported fieldPath: spec.hostname',
    );
  });
});

describe('resourceFieldRef', () => {
  const c: Container = {
    name: 'c',
    resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '250m' } },
  };
  const p = pod(c);
  const alloc = { cpu: parseQuantity('4'), memory: parseQuantity('8Gi') };
  it('rounds cpu up to whole divisor units from millicores', () => {
    expect(containerResourceValue(p, { resource: 'limits.cpu' }, 'c', alloc)).toBe('1');
    expect(containerResourceValue(p, { resource: 'limits.cpu', divisor: '1m' }, 'c', alloc)).toBe('500');
    expect(containerResourceValue(p, { resource: 'requests.cpu', divisor: '100m' }, 'c', alloc)).toBe('3');
  });
  it('gives memory in divisor units, requests defaulting to limits', () => {
    expect(containerResourceValue(p, { resource: 'limits.memory' }, 'c', alloc)).toBe(
      String(128 * 1024 * 1024),
    );
    expect(containerResourceValue(p, { resource: 'limits.memory', divisor: '1Mi' }, 'c', alloc)).toBe('128');
    expect(containerResourceValue(p, { resource: 'requests.memory', divisor: '1Mi' }, 'c', alloc)).toBe(
      '128',
    );
  });
  it('defaults unset limits to the node allocatable and unset requests to 0', () => {
    const bare = pod({ name: 'b' });
    expect(containerResourceValue(bare, { resource: 'limits.cpu' }, 'b', alloc)).toBe('4');
    expect(containerResourceValue(bare, { resource: 'limits.memory', divisor: '1Gi' }, 'b', alloc)).toBe('8');
    expect(containerResourceValue(bare, { resource: 'requests.cpu' }, 'b', alloc)).toBe('0');
  });
  it('uses the named container and refuses unknown ones and resources', () => {
    expect(
      containerResourceValue(p, { resource: 'limits.cpu', containerName: 'c', divisor: '1m' }, 'x', alloc),
    ).toBe('500');
    expect(() => containerResourceValue(p, { resource: 'limits.cpu' }, 'nope', alloc)).toThrow(
      'container nope not found',
    );
    expect(() => containerResourceValue(p, { resource: 'limits.gpu' }, 'c', alloc)).toThrow(
      'unsupported container resource : limits.gpu',
    );
  });
});

describe('container env', () => {
  const cm: ConfigMap = { metadata: { name: 'cfg' }, data: { MODE: 'fast', 'bad key': 'x', '1NUM': 'y' } };
  const secret: Secret = { metadata: { name: 'creds' }, data: { PASSWORD: b64('s3cr3t'), user: b64('bob') } };

  it('applies envFrom, then env in order with expansion and valueFrom', async () => {
    const c: Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'cfg' } }, { secretRef: { name: 'creds' }, prefix: 'S_' }],
      env: [
        { name: 'GREETING', value: 'mode=$(MODE) user=$(S_user) later=$(LATER) cost=$$(MODE)' },
        { name: 'MODE', value: 'slow' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'MODE' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'PASSWORD' } } },
        { name: 'MEM', valueFrom: { resourceFieldRef: { resource: 'limits.memory', divisor: '1Gi' } } },
        { name: 'LATER', value: 'x' },
        { name: 'EMPTY' },
      ],
    };
    const invalid: string[][] = [];
    const env = await resolveContainerEnv(pod(c), c, {
      sources: sources({ cfg: cm }, { creds: secret }),
      addresses,
      allocatable,
      onInvalidKeys: (_k, _n, keys) => invalid.push(keys),
    });
    expect(env).toEqual([
      { key: 'MODE', value: 'slow' },
      { key: 'S_PASSWORD', value: 's3cr3t' },
      { key: 'S_user', value: 'bob' },
      { key: 'GREETING', value: 'mode=fast user=bob later=$(LATER) cost=$(MODE)' },
      { key: 'POD', value: 'web' },
      { key: 'KEY', value: 'fast' },
      { key: 'PW', value: 's3cr3t' },
      { key: 'MEM', value: '8' },
      { key: 'LATER', value: 'x' },
      { key: 'EMPTY', value: '' },
    ]);
    expect(invalid).toEqual([['1NUM', 'bad key']]);
  });

  it('fails with the kubelet wording when a required source or key is missing', async () => {
    const ctx = { sources: sources({ cfg: cm }), addresses, allocatable };
    const missingCm: Container = {
      name: 'c',
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'x', key: 'k' } } }],
    };
    await expect(resolveContainerEnv(pod(missingCm), missingCm, ctx)).rejects.toThrow(
      'configmap "x" not found',
    );
    const missingKey: Container = {
      name: 'c',
      env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'k' } } }],
    };
    await expect(resolveContainerEnv(pod(missingKey), missingKey, ctx)).rejects.toThrow(
      "couldn't find key k in ConfigMap prod/cfg",
    );
    const missingSecret: Container = { name: 'c', envFrom: [{ secretRef: { name: 's' } }] };
    await expect(resolveContainerEnv(pod(missingSecret), missingSecret, ctx)).rejects.toThrow(
      'secret "s" not found',
    );
  });

  it('leaves out optional sources and keys that are missing', async () => {
    const c: Container = {
      name: 'c',
      envFrom: [{ configMapRef: { name: 'none', optional: true } }],
      env: [
        { name: 'A', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nope', optional: true } } },
        { name: 'B', valueFrom: { secretKeyRef: { name: 'none', key: 'k', optional: true } } },
        { name: 'C', value: 'c' },
      ],
    };
    const env = await resolveContainerEnv(pod(c), c, {
      sources: sources({ cfg: cm }),
      addresses,
      allocatable,
    });
    expect(env).toEqual([{ key: 'C', value: 'c' }]);
  });
});

describe('service env', () => {
  const svc = (
    namespace: string,
    name: string,
    clusterIP: string,
    ports: { port: number; name?: string; protocol?: string }[],
  ): Service => ({
    metadata: { namespace, name },
    spec: { clusterIP, ports },
  });
  const services = [
    svc('default', 'kubernetes', '10.96.0.1', [{ name: 'https', port: 443, protocol: 'TCP' }]),
    svc('prod', 'my-db', '10.96.0.7', [{ port: 5432 }, { name: 'metrics', port: 9187, protocol: 'UDP' }]),
    svc('prod', 'headless', 'None', [{ port: 80 }]),
    svc('other', 'elsewhere', '10.96.0.9', [{ port: 80 }]),
  ];

  it('gives the kubernetes Service always and same-namespace Services with links enabled', () => {
    const env = serviceEnv(services, 'prod', true);
    expect(Object.fromEntries(env)).toEqual({
      KUBERNETES_SERVICE_HOST: '10.96.0.1',
      KUBERNETES_SERVICE_PORT: '443',
      KUBERNETES_SERVICE_PORT_HTTPS: '443',
      KUBERNETES_PORT: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP: 'tcp://10.96.0.1:443',
      KUBERNETES_PORT_443_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_443_TCP_PORT: '443',
      KUBERNETES_PORT_443_TCP_ADDR: '10.96.0.1',
      MY_DB_SERVICE_HOST: '10.96.0.7',
      MY_DB_SERVICE_PORT: '5432',
      MY_DB_SERVICE_PORT_METRICS: '9187',
      MY_DB_PORT: 'tcp://10.96.0.7:5432',
      MY_DB_PORT_5432_TCP: 'tcp://10.96.0.7:5432',
      MY_DB_PORT_5432_TCP_PROTO: 'tcp',
      MY_DB_PORT_5432_TCP_PORT: '5432',
      MY_DB_PORT_5432_TCP_ADDR: '10.96.0.7',
      MY_DB_PORT_9187_UDP: 'udp://10.96.0.7:9187',
      MY_DB_PORT_9187_UDP_PROTO: 'udp',
      MY_DB_PORT_9187_UDP_PORT: '9187',
      MY_DB_PORT_9187_UDP_ADDR: '10.96.0.7',
    });
    expect([...serviceEnv(services, 'prod', false).keys()].every((k) => k.startsWith('KUBERNETES_'))).toBe(
      true,
    );
  });

  it('puts service variables after the container env, usable in $(VAR), never replacing it', async () => {
    const c: Container = {
      name: 'c',
      env: [
        { name: 'URL', value: 'https://$(KUBERNETES_SERVICE_HOST):$(KUBERNETES_SERVICE_PORT)' },
        { name: 'MY_DB_SERVICE_PORT', value: 'mine' },
      ],
    };
    const env = await resolveContainerEnv(pod(c), c, {
      sources: sources({}),
      addresses,
      allocatable,
      services: async () => services,
    });
    expect(env[0]).toEqual({ key: 'URL', value: 'https://10.96.0.1:443' });
    expect(env[1]).toEqual({ key: 'MY_DB_SERVICE_PORT', value: 'mine' });
    expect(env.filter((e) => e.key === 'MY_DB_SERVICE_PORT')).toHaveLength(1);
    expect(env.find((e) => e.key === 'MY_DB_SERVICE_HOST')?.value).toBe('10.96.0.7');
  });
});
