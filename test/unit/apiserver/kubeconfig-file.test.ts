import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderKubeconfig, writeKubeconfig } from '../../../control-plane/apiserver/kubeconfig-file.js';

const CA = '-----BEGIN CERTIFICATE-----\nQ0E=\n-----END CERTIFICATE-----\n';
const CERT = '-----BEGIN CERTIFICATE-----\nQ0VSVA==\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nS0VZ\n-----END PRIVATE KEY-----\n';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('renderKubeconfig', () => {
  it('embeds the CA, client certificate and key and makes the one context current', () => {
    const config = parse(
      renderKubeconfig({
        clusterName: 'skiff',
        server: 'https://127.0.0.1:6443',
        caPem: CA,
        user: 'admin',
        certPem: CERT,
        keyPem: KEY,
      }),
    );
    expect(config).toEqual({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [
        {
          name: 'skiff',
          cluster: { server: 'https://127.0.0.1:6443', 'certificate-authority-data': b64(CA) },
        },
      ],
      users: [{ name: 'admin', user: { 'client-certificate-data': b64(CERT), 'client-key-data': b64(KEY) } }],
      contexts: [{ name: 'admin@skiff', context: { cluster: 'skiff', user: 'admin' } }],
      'current-context': 'admin@skiff',
      preferences: {},
    });
  });

  it('writes a bearer token user', () => {
    const config = parse(
      renderKubeconfig({
        clusterName: 'c',
        server: 'https://h:6443',
        caPem: CA,
        user: 'bot',
        token: 'abc.def',
      }),
    );
    expect(config.users).toEqual([{ name: 'bot', user: { token: 'abc.def' } }]);
  });

  it('refuses a certificate without its key and a user without credentials', () => {
    const base = { clusterName: 'c', server: 'https://h', caPem: CA, user: 'u' };
    expect(() => renderKubeconfig({ ...base, certPem: CERT })).toThrow(/together/);
    expect(() => renderKubeconfig(base)).toThrow(/certificate or a token/);
  });
});

describe('writeKubeconfig', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-kubeconfig-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the file with mode 0600, creating parent directories and leaving no temp files', async () => {
    const path = join(dir, 'nested', 'admin.kubeconfig');
    const opts = { clusterName: 'c', server: 'https://h', caPem: CA, user: 'u', token: 't' };
    await writeKubeconfig(path, opts);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readFile(path, 'utf8')).toBe(renderKubeconfig(opts));
    expect(await readdir(join(dir, 'nested'))).toEqual(['admin.kubeconfig']);
  });

  it('replaces an existing file and tightens its mode', async () => {
    const path = join(dir, 'kubeconfig');
    await writeFile(path, 'old', { mode: 0o644 });
    await writeKubeconfig(path, {
      clusterName: 'c',
      server: 'https://h',
      caPem: CA,
      user: 'u',
      token: 'new',
    });
    expect(parse(await readFile(path, 'utf8')).users[0].user.token).toBe('new');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });
});
