import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStatusError, SkiffError } from '../../../api/errors.js';
import {
  canonicalIp,
  ensurePki,
  issueClientCertificate,
  issueServingCertificate,
} from '../../../control-plane/apiserver/pki.js';

const DAY = 24 * 60 * 60 * 1000;
const T0 = new Date('2026-01-10T12:00:00Z');

function sans(pem: string): { dns: string[]; ips: string[] } {
  const entries = (new X509Certificate(pem).subjectAltName ?? '').split(', ');
  return {
    dns: entries.filter((e) => e.startsWith('DNS:')).map((e) => e.slice(4)),
    ips: entries.filter((e) => e.startsWith('IP Address:')).map((e) => canonicalIp(e.slice(11))),
  };
}

function issuedBy(certPem: string, caPem: string): boolean {
  const cert = new X509Certificate(certPem);
  const ca = new X509Certificate(caPem);
  return cert.checkIssued(ca) && cert.verify(ca.publicKey);
}

describe('ensurePki', () => {
  let dir: string;
  beforeEach(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'skiff-pki-')), 'pki');
  });
  afterEach(async () => {
    await rm(join(dir, '..'), { recursive: true, force: true });
  });

  it('creates a CA, a serving and an admin pair with private modes', async () => {
    const pki = await ensurePki(dir, { hostnames: ['api.example.test'], ips: ['10.96.0.1'] });
    expect((await readdir(dir)).sort()).toEqual([
      'admin.crt',
      'admin.key',
      'apiserver.crt',
      'apiserver.key',
      'ca.crt',
      'ca.key',
    ]);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
    for (const key of ['ca.key', 'apiserver.key', 'admin.key']) {
      expect((await stat(join(dir, key))).mode & 0o777).toBe(0o600);
    }
    expect(pki.dir).toBe(dir);
    expect(pki.caKeyPem).toContain('BEGIN PRIVATE KEY');
  });

  it('makes a self-signed CA named skiff-ca valid for ten years', async () => {
    const pki = await ensurePki(dir, { hostnames: [], ips: [], now: () => T0 });
    const ca = new X509Certificate(pki.caCertPem);
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=skiff-ca');
    expect(ca.issuer).toBe('CN=skiff-ca');
    expect(ca.verify(ca.publicKey)).toBe(true);
    // node's keyUsage lists extended key usages; a CA restricted to none must not have any
    expect(ca.keyUsage).toBeUndefined();
    const years = (ca.validToDate.getTime() - T0.getTime()) / (365 * DAY);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
  });

  it('issues a serving certificate signed by the CA covering default and requested names', async () => {
    const pki = await ensurePki(dir, { hostnames: ['api.example.test'], ips: ['10.96.0.1'] });
    const serving = new X509Certificate(pki.servingCertPem);
    expect(issuedBy(pki.servingCertPem, pki.caCertPem)).toBe(true);
    expect(serving.ca).toBe(false);
    expect(serving.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(serving.checkPrivateKey(createPrivateKey(pki.servingKeyPem))).toBe(true);
    const { dns, ips } = sans(pki.servingCertPem);
    expect(dns).toEqual(
      expect.arrayContaining([
        'localhost',
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
        hostname().toLowerCase(),
        'api.example.test',
      ]),
    );
    expect(ips).toEqual(expect.arrayContaining(['127.0.0.1', '::1', '10.96.0.1']));
    expect(serving.checkHost('kubernetes.default.svc')).toBe('kubernetes.default.svc');
    expect(serving.checkIP('10.96.0.1')).toBe('10.96.0.1');
    expect(serving.checkHost('other.example.test')).toBeUndefined();
  });

  it('issues the admin client certificate as kubernetes-admin in system:masters', async () => {
    const pki = await ensurePki(dir, { hostnames: [], ips: [] });
    const admin = new X509Certificate(pki.adminCertPem);
    expect(issuedBy(pki.adminCertPem, pki.caCertPem)).toBe(true);
    expect(admin.subject.split('\n').sort()).toEqual(['CN=kubernetes-admin', 'O=system:masters']);
    expect(admin.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
  });

  it('reuses everything on a later start with the same names', async () => {
    const first = await ensurePki(dir, { hostnames: ['a.test'], ips: ['10.96.0.1'] });
    const second = await ensurePki(dir, { hostnames: ['a.test'], ips: ['10.96.0.1'] });
    expect(second).toEqual(first);
  });

  it('reissues the serving certificate, keeping the CA, when a name or address is not covered', async () => {
    const first = await ensurePki(dir, { hostnames: ['a.test'], ips: ['10.96.0.1'] });
    const second = await ensurePki(dir, { hostnames: ['a.test', 'b.test'], ips: ['10.96.0.1', '192.0.2.7'] });
    expect(second.caCertPem).toBe(first.caCertPem);
    expect(second.adminCertPem).toBe(first.adminCertPem);
    expect(second.servingCertPem).not.toBe(first.servingCertPem);
    expect(issuedBy(second.servingCertPem, first.caCertPem)).toBe(true);
    const { dns, ips } = sans(second.servingCertPem);
    expect(dns).toEqual(expect.arrayContaining(['a.test', 'b.test']));
    expect(ips).toEqual(expect.arrayContaining(['10.96.0.1', '192.0.2.7']));
  });

  it('treats differently spelled IPv6 addresses as the same address', async () => {
    const first = await ensurePki(dir, { hostnames: [], ips: ['fd00:10:96::1'] });
    const second = await ensurePki(dir, { hostnames: [], ips: ['fd00:10:96:0:0:0:0:1'] });
    expect(second.servingCertPem).toBe(first.servingCertPem);
  });

  it('reissues leaf certificates that expire within 30 days, keeping the CA', async () => {
    const first = await ensurePki(dir, { hostnames: [], ips: [], now: () => T0 });
    const notYet = await ensurePki(dir, {
      hostnames: [],
      ips: [],
      now: () => new Date(T0.getTime() + 300 * DAY),
    });
    expect(notYet.servingCertPem).toBe(first.servingCertPem);
    const later = new Date(T0.getTime() + 340 * DAY);
    const renewed = await ensurePki(dir, { hostnames: [], ips: [], now: () => later });
    expect(renewed.caCertPem).toBe(first.caCertPem);
    expect(renewed.servingCertPem).not.toBe(first.servingCertPem);
    expect(renewed.adminCertPem).not.toBe(first.adminCertPem);
    expect(new X509Certificate(renewed.servingCertPem).validToDate.getTime()).toBeGreaterThan(
      later.getTime() + 360 * DAY,
    );
  });

  it('reissues leaf certificates that the current CA did not sign', async () => {
    const first = await ensurePki(dir, { hostnames: [], ips: [] });
    const other = await mkdtemp(join(tmpdir(), 'skiff-pki-other-'));
    try {
      const foreign = await ensurePki(other, { hostnames: [], ips: [] });
      await writeFile(join(dir, 'admin.crt'), foreign.adminCertPem);
      await writeFile(join(dir, 'admin.key'), foreign.adminKeyPem);
      const again = await ensurePki(dir, { hostnames: [], ips: [] });
      expect(again.adminCertPem).not.toBe(foreign.adminCertPem);
      expect(issuedBy(again.adminCertPem, first.caCertPem)).toBe(true);
    } finally {
      await rm(other, { recursive: true, force: true });
    }
  });

  it('refuses to replace a CA whose key is missing', async () => {
    await ensurePki(dir, { hostnames: [], ips: [] });
    await rm(join(dir, 'ca.key'));
    const err = await ensurePki(dir, { hostnames: [], ips: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).code).toBe('SKIFF_PKI_INCOMPLETE');
    expect(isStatusError(err)).toBe(false);
  });

  it('rejects an extra IP that is not an address', async () => {
    const err = await ensurePki(dir, { hostnames: [], ips: ['not-an-ip'] }).catch((e: unknown) => e);
    expect((err as SkiffError).code).toBe('SKIFF_PKI_INVALID_IP');
  });
});

describe('issuing certificates', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'skiff-pki-issue-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('issues a client certificate with one O per group for the given days', async () => {
    const pki = await ensurePki(dir, { hostnames: [], ips: [] });
    const { certPem, keyPem } = await issueClientCertificate(
      pki,
      { commonName: 'system:node:worker-1', organizations: ['system:nodes', 'skiff:agents'] },
      30,
      { now: () => T0 },
    );
    const cert = new X509Certificate(certPem);
    expect(issuedBy(certPem, pki.caCertPem)).toBe(true);
    expect(cert.subject.split('\n').sort()).toEqual([
      'CN=system:node:worker-1',
      'O=skiff:agents',
      'O=system:nodes',
    ]);
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']);
    expect(cert.validToDate.getTime() - T0.getTime()).toBe(30 * DAY);
    expect(cert.validFromDate.getTime()).toBeLessThanOrEqual(T0.getTime());
    expect(keyPem).toContain('BEGIN PRIVATE KEY');
    expect(BigInt(`0x${cert.serialNumber}`)).toBeGreaterThan(0n);
  });

  it('issues a serving certificate for given names and addresses', async () => {
    const pki = await ensurePki(dir, { hostnames: [], ips: [] });
    const { certPem } = await issueServingCertificate(
      pki,
      { commonName: 'worker-1', hostnames: ['worker-1', 'Worker-1.Example.Test'], ips: ['192.0.2.10'] },
      365,
    );
    const cert = new X509Certificate(certPem);
    expect(issuedBy(certPem, pki.caCertPem)).toBe(true);
    expect(cert.subject).toBe('CN=worker-1');
    expect(cert.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(sans(certPem)).toEqual({ dns: ['worker-1', 'worker-1.example.test'], ips: ['192.0.2.10'] });
  });

  it('gives every certificate a distinct serial number', async () => {
    const pki = await ensurePki(dir, { hostnames: [], ips: [] });
    const subject = { commonName: 'u', organizations: [] };
    const a = await issueClientCertificate(pki, subject, 1);
    const b = await issueClientCertificate(pki, subject, 1);
    expect(new X509Certificate(a.certPem).serialNumber).not.toBe(new X509Certificate(b.certPem).serialNumber);
  });
});
