import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SkiffError } from '../../../api/errors.js';
import { inClusterConfig, loadKubeconfig, parseKubeconfig } from '../../../client/kubeconfig.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64');

const CA = '-----BEGIN CERTIFICATE-----\nCA\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nCLIENT\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN EC PRIVATE KEY-----\nKEY\n-----END EC PRIVATE KEY-----\n';

function dataConfig(current = 'admin@skiff'): string {
  return `apiVersion: v1
kind: Config
current-context: ${current}
clusters:
- name: skiff
  cluster:
    server: https://10.0.0.1:6443/
    certificate-authority-data: ${b64(CA)}
- name: other
  cluster:
    server: http://127.0.0.1:8080
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: ${b64(CERT)}
    client-key-data: ${b64(KEY)}
- name: bot
  user:
    token: abc.def
contexts:
- name: admin@skiff
  context: { cluster: skiff, user: admin }
- name: bot@other
  context: { cluster: other, user: bot, namespace: team-a }
`;
}

function expectInvalid(fn: () => unknown, text: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SkiffError);
    expect((e as SkiffError).code).toBe('SKIFF_KUBECONFIG_INVALID');
    expect((e as Error).message).toMatch(text);
    return;
  }
  throw new Error('expected an error');
}

describe('kubeconfig', () => {
  it('resolves the current context with inline CA, client cert and key', () => {
    const conn = parseKubeconfig(dataConfig(), '/tmp/config');
    expect(conn).toEqual({ server: 'https://10.0.0.1:6443', ca: CA, cert: CERT, key: KEY });
  });

  it('resolves a named context with a token, namespace and insecure-skip-tls-verify', () => {
    const conn = parseKubeconfig(dataConfig(), '/tmp/config', 'bot@other');
    expect(conn).toEqual({
      server: 'http://127.0.0.1:8080',
      token: 'abc.def',
      insecure: true,
      namespace: 'team-a',
    });
  });

  it('reads file references relative to the kubeconfig file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-kc-'));
    writeFileSync(join(dir, 'ca.crt'), CA);
    writeFileSync(join(dir, 'client.crt'), CERT);
    writeFileSync(join(dir, 'client.key'), KEY);
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const path = join(dir, 'config');
    writeFileSync(
      path,
      `current-context: c
clusters: [{ name: k, cluster: { server: 'https://h:6443', certificate-authority: ca.crt } }]
users: [{ name: u, user: { client-certificate: client.crt, client-key: ${join(dir, 'client.key')}, tokenFile: token } }]
contexts: [{ name: c, context: { cluster: k, user: u } }]
`,
    );
    const conn = loadKubeconfig({ path });
    expect(conn.ca).toBe(CA);
    expect(conn.cert).toBe(CERT);
    expect(conn.key).toBe(KEY);
    expect(conn.tokenFile).toBe(join(dir, 'token'));
  });

  it('fails clearly on a missing context, cluster, or file', () => {
    expectInvalid(() => parseKubeconfig(dataConfig('nope'), '/tmp/config'), /context "nope" not found/);
    expectInvalid(() => parseKubeconfig('clusters: []\n', '/tmp/config'), /no current-context/);
    expectInvalid(
      () =>
        parseKubeconfig(
          'current-context: c\ncontexts: [{name: c, context: {cluster: gone}}]\nclusters: []\n',
          '/tmp/config',
        ),
      /cluster "gone" not found/,
    );
    expectInvalid(() => loadKubeconfig({ path: '/nonexistent/kubeconfig' }), /cannot be read/);
    expectInvalid(() => parseKubeconfig(': : :\n  - [', '/tmp/config'), /YAML/);
  });

  it('builds the in-cluster connection from the service-account directory and env', () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-sa-'));
    writeFileSync(join(dir, 'token'), 'sa-token');
    writeFileSync(join(dir, 'ca.crt'), CA);
    writeFileSync(join(dir, 'namespace'), 'kube-system\n');
    const conn = inClusterConfig({
      dir,
      env: { KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443' },
    });
    expect(conn).toEqual({
      server: 'https://10.43.0.1:443',
      tokenFile: join(dir, 'token'),
      ca: CA,
      namespace: 'kube-system',
    });
    expectInvalid(() => inClusterConfig({ dir, env: {} }), /KUBERNETES_SERVICE_HOST/);
  });
});
