import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { kubeletServingCertificate, unusable } from '../../../agent/server/kubelet-certificate.js';

const log = pino({ level: 'silent' });

describe('kubelet serving certificate kept in the cert dir', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-kcert-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes kubelet.crt and a private kubelet.key, then reuses them', async () => {
    const names = ['localhost', '127.0.0.1', 'node-a'];
    const first = await kubeletServingCertificate({ certDir: dir, commonName: 'node-a@1', names, log });
    expect(await readFile(join(dir, 'kubelet.crt'), 'utf8')).toBe(first.certPem);
    expect((await stat(join(dir, 'kubelet.key'))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(first.certPem);
    expect(cert.checkHost('node-a')).toBe('node-a');
    expect(cert.checkIP('127.0.0.1')).toBe('127.0.0.1');

    const second = await kubeletServingCertificate({ certDir: dir, commonName: 'node-a@2', names, log });
    expect(second.certPem).toBe(first.certPem);
    expect(second.keyPem).toBe(first.keyPem);
  });

  it('replaces a kept certificate that misses a name, or that cannot be read', async () => {
    const first = await kubeletServingCertificate({ certDir: dir, commonName: 'n', names: ['node-a'], log });
    const widened = await kubeletServingCertificate({
      certDir: dir,
      commonName: 'n',
      names: ['node-a', '10.0.0.7'],
      log,
    });
    expect(widened.certPem).not.toBe(first.certPem);
    expect(new X509Certificate(widened.certPem).checkIP('10.0.0.7')).toBe('10.0.0.7');

    await writeFile(join(dir, 'kubelet.crt'), 'not a certificate');
    const remade = await kubeletServingCertificate({ certDir: dir, commonName: 'n', names: ['node-a'], log });
    expect(new X509Certificate(remade.certPem).checkHost('node-a')).toBe('node-a');
  });

  it('tells why a certificate is unusable', async () => {
    const { certPem } = await kubeletServingCertificate({
      certDir: dir,
      commonName: 'n',
      names: ['node-a'],
      log,
    });
    const now = new Date();
    expect(unusable(certPem, ['node-a'], now)).toBeUndefined();
    expect(unusable(certPem, ['node-b'], now)).toBe('does not cover node-b');
    expect(unusable(certPem, ['node-a'], new Date(now.getTime() + 350 * 24 * 3600 * 1000))).toBe('expiring');
    expect(unusable('garbage', ['node-a'], now)).toBe('unreadable');
  });
});
