import { fork } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { type ServingCertificate, selfSignedServingCertificate } from './serving-certificate.js';
import type { CertificateRequest } from './serving-certificate-child.js';

/** A kept certificate closer than this to its end is replaced. */
const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

export interface KubeletCertificateOptions {
  /** Where kubelet.crt and kubelet.key live (upstream's --cert-dir, <root-dir>/pki). */
  certDir: string;
  commonName: string;
  /** DNS names and IP addresses the certificate must cover. */
  names: string[];
  log: Logger;
  now?: Date;
}

/**
 * The kubelet's self-signed serving certificate, kept in certDir across restarts as upstream
 * keeps kubelet.crt: reused while it covers every name and is not about to expire, otherwise made
 * anew (in a short-lived child process, so the X.509 library never loads in the kubelet) and written.
 */
export async function kubeletServingCertificate(o: KubeletCertificateOptions): Promise<ServingCertificate> {
  const certFile = join(o.certDir, 'kubelet.crt');
  const keyFile = join(o.certDir, 'kubelet.key');
  const now = o.now ?? new Date();
  const names = [...new Set(o.names.filter(Boolean))];
  const kept = await readKept(certFile, keyFile);
  if (kept) {
    const why = unusable(kept.certPem, names, now);
    if (!why) return kept;
    o.log.info({ certFile, why }, 'replacing the kubelet serving certificate');
  }
  const made = await generate({ commonName: o.commonName, names, now });
  await mkdir(o.certDir, { recursive: true, mode: 0o700 });
  await writeAtomically(keyFile, made.keyPem, 0o600);
  await writeAtomically(certFile, made.certPem, 0o644);
  o.log.info({ certFile }, 'wrote the kubelet serving certificate');
  return made;
}

async function readKept(certFile: string, keyFile: string): Promise<ServingCertificate | undefined> {
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certFile, 'utf8'), readFile(keyFile, 'utf8')]);
    return { certPem, keyPem };
  } catch {
    return undefined;
  }
}

/** Why a kept certificate cannot serve these names now, or undefined when it can. */
export function unusable(certPem: string, names: string[], now: Date): string | undefined {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch {
    return 'unreadable';
  }
  if (new Date(cert.validTo).getTime() - now.getTime() < RENEW_BEFORE_MS) return 'expiring';
  if (new Date(cert.validFrom).getTime() > now.getTime()) return 'not yet valid';
  const missing = names.find((n) =>
    isIP(n) ? cert.checkIP(n) === undefined : cert.checkHost(n, { wildcards: false }) === undefined,
  );
  return missing === undefined ? undefined : `does not cover ${missing}`;
}

async function generate(
  request: Parameters<typeof selfSignedServingCertificate>[0],
): Promise<ServingCertificate> {
  const entry = fileURLToPath(new URL('./serving-certificate-child.js', import.meta.url));
  // Running from sources (tests), there is no built child entry: generate in this process.
  if (!existsSync(entry)) return selfSignedServingCertificate(request);
  return new Promise<ServingCertificate>((resolve, reject) => {
    const child = fork(entry, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], serialization: 'json' });
    let made: ServingCertificate | undefined;
    child.once('message', (m: ServingCertificate) => {
      made = m;
    });
    child.once('error', reject);
    child.once('exit', (code) =>
      made ? resolve(made) : reject(new Error(`certificate process exited with code ${code}`)),
    );
    const message: CertificateRequest = {
      commonName: request.commonName,
      names: request.names,
      nowMs: request.now?.getTime(),
    };
    child.send(message);
  });
}

async function writeAtomically(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode);
  await rename(tmp, path);
}
