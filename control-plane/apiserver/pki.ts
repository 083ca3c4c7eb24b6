import {
  createPrivateKey,
  X509Certificate as NodeX509Certificate,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { isIP, isIPv6 } from 'node:net';
import { networkInterfaces, hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import type * as X509 from '@peculiar/x509';
import { SkiffError } from '../../api/errors.js';
import { writeFileAtomic } from './write-file-atomic.js';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type SigningAlgorithm =
  | webcrypto.AlgorithmIdentifier
  | webcrypto.EcdsaParams
  | webcrypto.RsaHashedImportParams;

// @peculiar/x509 registers its algorithms through tsyringe, which refuses to load unless a
// Reflect metadata API exists. Nothing here relies on decorator metadata, so an inert stand-in
// suffices; it is installed before the library is first evaluated (hence the dynamic import).
installReflectMetadataStandIn();
const x509: typeof X509 = await import('@peculiar/x509');
x509.cryptoProvider.set(webcrypto);

/** The cluster's certificate authority plus the apiserver's serving and the admin client pair, all PEM. */
export interface Pki {
  dir: string;
  caCertPem: string;
  caKeyPem: string;
  servingCertPem: string;
  servingKeyPem: string;
  adminCertPem: string;
  adminKeyPem: string;
}

export interface EnsurePkiOptions {
  /** Extra DNS names for the serving certificate, on top of the defaults. */
  hostnames: string[];
  /** Extra IP addresses for the serving certificate (e.g. the first service IP, 10.96.0.1). */
  ips: string[];
  /** Injected clock; defaults to the wall clock. */
  now?: () => Date;
}

/** What signing needs: a `Pki` fits, so does a CA loaded on its own. */
export type CertificateAuthority = Pick<Pki, 'caCertPem' | 'caKeyPem'>;

export interface IssueOptions {
  now?: () => Date;
}

export interface CertificateSubject {
  commonName: string;
  organizations: string[];
}

export interface ServingSubject {
  commonName: string;
  hostnames: string[];
  ips: string[];
}

export interface IssuedCertificate {
  certPem: string;
  keyPem: string;
}

export const CA_COMMON_NAME = 'skiff-ca';
export const ADMIN_USER = 'kubernetes-admin';
export const ADMIN_GROUP = 'system:masters';
export const APISERVER_COMMON_NAME = 'kube-apiserver';

const FILES = {
  caCert: 'ca.crt',
  caKey: 'ca.key',
  servingCert: 'apiserver.crt',
  servingKey: 'apiserver.key',
  adminCert: 'admin.crt',
  adminKey: 'admin.key',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
const CA_DAYS = 3650;
const LEAF_DAYS = 365;
/** Leaf certificates that expire sooner than this are reissued on start. */
const RENEW_BEFORE_DAYS = 30;
/** notBefore is set slightly in the past so peers with a lagging clock accept fresh certificates. */
const BACKDATE_MS = 5 * 60 * 1000;

const EC_KEY = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const EC_SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;

const DEFAULT_HOSTNAMES = [
  'localhost',
  'kubernetes',
  'kubernetes.default',
  'kubernetes.default.svc',
  'kubernetes.default.svc.cluster.local',
];

/**
 * Loads the PKI under `dir`, creating what is missing. The CA is created once and kept; the serving
 * certificate is reissued when it does not cover the wanted names and addresses, is near expiry or
 * was not signed by the current CA; the admin certificate is reissued on the last two conditions.
 */
export async function ensurePki(dir: string, opts: EnsurePkiOptions): Promise<Pki> {
  const now = opts.now ?? (() => new Date());
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);

  const caPair = await ensureCa(dir, now());
  const ca: CertificateAuthority = { caCertPem: caPair.certPem, caKeyPem: caPair.keyPem };
  const wantedNames = servingHostnames(opts.hostnames);
  const wantedIps = servingIps(opts.ips);

  let serving = await readPair(dir, FILES.servingCert, FILES.servingKey);
  if (
    !serving ||
    !isUsableLeaf(serving, ca.caCertPem, now()) ||
    !coversSans(serving.certPem, wantedNames, wantedIps)
  ) {
    serving = await issueServingCertificate(
      ca,
      { commonName: APISERVER_COMMON_NAME, hostnames: wantedNames, ips: wantedIps },
      LEAF_DAYS,
      { now },
    );
    await writePair(dir, FILES.servingCert, FILES.servingKey, serving);
  }

  let admin = await readPair(dir, FILES.adminCert, FILES.adminKey);
  if (!admin || !isUsableLeaf(admin, ca.caCertPem, now())) {
    admin = await issueClientCertificate(
      ca,
      { commonName: ADMIN_USER, organizations: [ADMIN_GROUP] },
      LEAF_DAYS,
      { now },
    );
    await writePair(dir, FILES.adminCert, FILES.adminKey, admin);
  }

  return {
    dir,
    caCertPem: ca.caCertPem,
    caKeyPem: ca.caKeyPem,
    servingCertPem: serving.certPem,
    servingKeyPem: serving.keyPem,
    adminCertPem: admin.certPem,
    adminKeyPem: admin.keyPem,
  };
}

/** Issues a client certificate (clientAuth) whose CN is the user name and whose O values are its groups. */
export async function issueClientCertificate(
  ca: CertificateAuthority,
  subject: CertificateSubject,
  days: number,
  opts: IssueOptions = {},
): Promise<IssuedCertificate> {
  return issueLeaf(ca, {
    name: subjectName(subject.commonName, subject.organizations),
    usage: x509.ExtendedKeyUsage.clientAuth,
    sans: [],
    days,
    now: (opts.now ?? (() => new Date()))(),
  });
}

/** Issues a serving certificate (serverAuth) for the given DNS names and IP addresses. */
export async function issueServingCertificate(
  ca: CertificateAuthority,
  subject: ServingSubject,
  days: number,
  opts: IssueOptions = {},
): Promise<IssuedCertificate> {
  const sans: X509.JsonGeneralName[] = [
    ...unique(subject.hostnames.map((h) => h.toLowerCase())).map((value) => ({
      type: 'dns' as const,
      value,
    })),
    ...unique(subject.ips.map(canonicalIp)).map((value) => ({ type: 'ip' as const, value })),
  ];
  return issueLeaf(ca, {
    name: subjectName(subject.commonName, []),
    usage: x509.ExtendedKeyUsage.serverAuth,
    sans,
    days,
    now: (opts.now ?? (() => new Date()))(),
  });
}

async function ensureCa(dir: string, now: Date): Promise<IssuedCertificate> {
  const existing = await readPair(dir, FILES.caCert, FILES.caKey);
  if (existing) return existing;
  const [certExists, keyExists] = await Promise.all([
    fileExists(join(dir, FILES.caCert)),
    fileExists(join(dir, FILES.caKey)),
  ]);
  if (certExists || keyExists) {
    // Creating a new CA here would silently invalidate every credential issued by the old one.
    throw new SkiffError(
      'SKIFF_PKI_INCOMPLETE',
      `certificate authority in ${dir} is incomplete: ${FILES.caCert} and ${FILES.caKey} must both exist`,
    );
  }
  const keys = await generateKeys();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: subjectName(CA_COMMON_NAME, []),
    keys,
    notBefore: new Date(now.getTime() - BACKDATE_MS),
    notAfter: new Date(now.getTime() + CA_DAYS * DAY_MS),
    signingAlgorithm: EC_SIGNING,
    extensions: [
      new x509.BasicConstraintsExtension(true, undefined, true),
      new x509.KeyUsagesExtension(
        x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign | x509.KeyUsageFlags.digitalSignature,
        true,
      ),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const ca = { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
  await writePair(dir, FILES.caCert, FILES.caKey, ca);
  return ca;
}

interface LeafSpec {
  name: X509.JsonName;
  usage: X509.ExtendedKeyUsage;
  sans: X509.JsonGeneralName[];
  days: number;
  now: Date;
}

async function issueLeaf(ca: CertificateAuthority, spec: LeafSpec): Promise<IssuedCertificate> {
  const caCert = new x509.X509Certificate(ca.caCertPem);
  const signer = await importSigningKey(ca.caKeyPem);
  const keys = await generateKeys();
  const extensions: X509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension([spec.usage]),
    await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    await x509.AuthorityKeyIdentifierExtension.create(caCert.publicKey),
  ];
  if (spec.sans.length > 0) extensions.push(new x509.SubjectAlternativeNameExtension(spec.sans));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject: spec.name,
    issuer: caCert.subjectName,
    publicKey: keys.publicKey,
    signingKey: signer.key,
    signingAlgorithm: signer.algorithm,
    notBefore: new Date(spec.now.getTime() - BACKDATE_MS),
    notAfter: new Date(spec.now.getTime() + spec.days * DAY_MS),
    extensions,
  });
  return { certPem: cert.toString('pem'), keyPem: await exportPrivateKey(keys.privateKey) };
}

function subjectName(commonName: string, organizations: string[]): X509.JsonName {
  // Go's pkix orders O before CN; kube tooling prints subjects that way, so follow it.
  return [...organizations.map((o) => ({ O: [o] })), { CN: [commonName] }];
}

async function generateKeys(): Promise<CryptoKeyPair> {
  return (await webcrypto.subtle.generateKey(EC_KEY, true, ['sign', 'verify'])) as CryptoKeyPair;
}

async function exportPrivateKey(key: CryptoKey): Promise<string> {
  const der = await webcrypto.subtle.exportKey('pkcs8', key);
  return `${x509.PemConverter.encode(der, 'PRIVATE KEY')}\n`;
}

/** Accepts any PEM private key node can read (PKCS#8, SEC1, PKCS#1), so an operator-supplied RSA CA works too. */
async function importSigningKey(pem: string): Promise<{ key: CryptoKey; algorithm: SigningAlgorithm }> {
  const keyObject = createPrivateKey(pem);
  const der = keyObject.export({ type: 'pkcs8', format: 'der' });
  if (keyObject.asymmetricKeyType === 'ec') {
    const curve = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' }[
      keyObject.asymmetricKeyDetails?.namedCurve ?? ''
    ];
    if (!curve)
      throw new SkiffError('SKIFF_PKI_UNSUPPORTED_KEY', 'unsupported elliptic curve for the CA key');
    const key = await webcrypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: curve }, false, [
      'sign',
    ]);
    return { key, algorithm: EC_SIGNING };
  }
  if (keyObject.asymmetricKeyType === 'rsa') {
    const algorithm = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' };
    const key = await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']);
    return { key, algorithm };
  }
  throw new SkiffError(
    'SKIFF_PKI_UNSUPPORTED_KEY',
    `unsupported CA key type ${keyObject.asymmetricKeyType ?? 'unknown'}`,
  );
}

/** Positive, at most 20 octets, never zero-leading: what RFC 5280 and Go's parser ask of a serial. */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] & 0x7f) | 0x40;
  return bytes.toString('hex');
}

function isUsableLeaf(pair: IssuedCertificate, caCertPem: string, now: Date): boolean {
  try {
    const leaf = new NodeX509Certificate(pair.certPem);
    const ca = new NodeX509Certificate(caCertPem);
    if (!leaf.checkIssued(ca) || !leaf.verify(ca.publicKey)) return false;
    if (!leaf.checkPrivateKey(createPrivateKey(pair.keyPem))) return false;
    return leaf.validToDate.getTime() - now.getTime() > RENEW_BEFORE_DAYS * DAY_MS;
  } catch {
    // An unparsable file is treated like a missing one: it gets reissued.
    return false;
  }
}

function coversSans(certPem: string, hostnames: string[], ips: string[]): boolean {
  const san = new x509.X509Certificate(certPem).getExtension(x509.SubjectAlternativeNameExtension);
  const names = san?.names.toJSON() ?? [];
  const dns = new Set(names.filter((n) => n.type === 'dns').map((n) => n.value.toLowerCase()));
  const addrs = new Set(names.filter((n) => n.type === 'ip').map((n) => canonicalIp(n.value)));
  return hostnames.every((h) => dns.has(h.toLowerCase())) && ips.every((ip) => addrs.has(canonicalIp(ip)));
}

function servingHostnames(extra: string[]): string[] {
  return unique([...DEFAULT_HOSTNAMES, osHostname(), ...extra].map((h) => h.toLowerCase()).filter(Boolean));
}

function servingIps(extra: string[]): string[] {
  const hostAddrs = Object.values(networkInterfaces())
    .flatMap((list) => list ?? [])
    .filter((a) => !a.internal)
    .map((a) => a.address);
  for (const ip of extra) {
    if (isIP(ip) === 0) throw new SkiffError('SKIFF_PKI_INVALID_IP', `not an IP address: ${ip}`);
  }
  return unique(['127.0.0.1', '::1', ...hostAddrs, ...extra].map(canonicalIp));
}

/** One spelling per address, so "::1" and "0:0:0:0:0:0:0:1" compare equal. */
export function canonicalIp(ip: string): string {
  const bare = ip.split('%')[0];
  if (isIPv6(bare)) return new URL(`http://[${bare}]/`).hostname.slice(1, -1);
  return bare;
}

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

async function readPair(
  dir: string,
  certFile: string,
  keyFile: string,
): Promise<IssuedCertificate | undefined> {
  const [certPem, keyPem] = await Promise.all([
    readOptional(join(dir, certFile)),
    readOptional(join(dir, keyFile)),
  ]);
  return certPem !== undefined && keyPem !== undefined ? { certPem, keyPem } : undefined;
}

async function writePair(
  dir: string,
  certFile: string,
  keyFile: string,
  pair: IssuedCertificate,
): Promise<void> {
  // Key first: a crash between the two writes leaves a cert/key mismatch that the next start repairs.
  await writeFileAtomic(join(dir, keyFile), pair.keyPem, 0o600);
  await writeFileAtomic(join(dir, certFile), pair.certPem, 0o644);
}

async function readOptional(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

async function fileExists(path: string): Promise<boolean> {
  return (await readOptional(path)) !== undefined;
}

function installReflectMetadataStandIn(): void {
  const r = Reflect as unknown as Record<string, unknown>;
  if (typeof r.getMetadata === 'function') return;
  const store = new WeakMap<object, Map<unknown, unknown>>();
  const own = (target: object, key: unknown) => store.get(target)?.get(key);
  r.defineMetadata = (key: unknown, value: unknown, target: object) => {
    const m = store.get(target) ?? new Map<unknown, unknown>();
    m.set(key, value);
    store.set(target, m);
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
