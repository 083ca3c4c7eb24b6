import { randomBytes, webcrypto } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import type * as X509 from '@peculiar/x509';

let x509Module: Promise<typeof X509> | undefined;

/** The X.509 library, loaded on first use: a kubelet that reuses its certificate never loads it. */
function loadX509(): Promise<typeof X509> {
  x509Module ??= (async () => {
    // @peculiar/x509 loads tsyringe, which refuses to start without a Reflect metadata API.
    // Nothing here uses decorator metadata, so an inert stand-in is installed before the import.
    ensureReflectMetadata();
    const x509: typeof X509 = await import('@peculiar/x509');
    x509.cryptoProvider.set(webcrypto);
    return x509;
  })();
  return x509Module;
}

export interface ServingCertificate {
  certPem: string;
  keyPem: string;
}

const DAY_MS = 24 * 60 * 60 * 1000;
/** notBefore lies a little in the past so a peer whose clock lags still accepts the certificate. */
const BACKDATE_MS = 5 * 60 * 1000;

/**
 * A self-signed serving certificate for the kubelet's HTTPS port, as the upstream kubelet makes
 * when it is given none (`<hostname>@<unix seconds>` as common name, one year). The API server
 * does not verify kubelet certificates unless it is given a CA for them.
 */
export async function selfSignedServingCertificate(o: {
  commonName: string;
  /** DNS names and IP addresses the certificate covers. */
  names: string[];
  now?: Date;
  days?: number;
}): Promise<ServingCertificate> {
  const x509 = await loadX509();
  const now = o.now ?? new Date();
  const keys = (await webcrypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, [
    'sign',
    'verify',
  ])) as webcrypto.CryptoKeyPair;
  const sans: X509.JsonGeneralName[] = [...new Set(o.names.filter(Boolean))].map((n) =>
    isIP(n) ? { type: 'ip', value: n } : { type: 'dns', value: n },
  );
  const serial = randomBytes(16);
  serial[0] = (serial[0] & 0x7f) | 0x40;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial.toString('hex'),
    name: [{ CN: [o.commonName] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + (o.days ?? 365) * DAY_MS),
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment,
        true,
      ),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(sans),
    ],
  });
  const der = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  return { certPem: cert.toString('pem'), keyPem: `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n` };
}

/** The certificate and key from PEM files (`--tls-cert-file`, `--tls-private-key-file`). */
export async function readServingCertificate(certFile: string, keyFile: string): Promise<ServingCertificate> {
  const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
  return { certPem, keyPem };
}

function ensureReflectMetadata(): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata === 'function') return;
  const byTarget = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object, key: unknown) => byTarget.get(target)?.get(key);
  r.defineMetadata = (key: unknown, value: unknown, target: object) => {
    const entries = byTarget.get(target) ?? new Map<unknown, unknown>();
    entries.set(key, value);
    byTarget.set(target, entries);
  };
  r.getOwnMetadata = own;
  r.getMetadata = (key: unknown, target: object) => {
    for (let t: object | null = target; t; t = Object.getPrototypeOf(t)) {
      const v = own(t, key);
      if (v !== undefined) return v;
    }
    return undefined;
  };
}
