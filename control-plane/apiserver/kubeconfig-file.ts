import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from './write-file-atomic.js';

export interface KubeconfigOptions {
  clusterName: string;
  /** https URL of the apiserver. */
  server: string;
  caPem: string;
  /** Name of the user entry (the identity itself comes from the certificate or token). */
  user: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
}

/**
 * Renders a kubeconfig with one cluster, one user and one context, the context current. Certificates
 * and keys are embedded as base64 `-data` fields so the file stands alone.
 */
export function renderKubeconfig(opts: KubeconfigOptions): string {
  if ((opts.certPem === undefined) !== (opts.keyPem === undefined)) {
    throw new Error('kubeconfig: certPem and keyPem must be given together');
  }
  if (opts.certPem === undefined && opts.token === undefined) {
    throw new Error('kubeconfig: a client certificate or a token is required');
  }
  const credentials: Record<string, string> = {};
  if (opts.certPem !== undefined && opts.keyPem !== undefined) {
    credentials['client-certificate-data'] = base64(opts.certPem);
    credentials['client-key-data'] = base64(opts.keyPem);
  }
  if (opts.token !== undefined) credentials.token = opts.token;
  const contextName = `${opts.user}@${opts.clusterName}`;
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: opts.clusterName,
        cluster: { server: opts.server, 'certificate-authority-data': base64(opts.caPem) },
      },
    ],
    users: [{ name: opts.user, user: credentials }],
    contexts: [{ name: contextName, context: { cluster: opts.clusterName, user: opts.user } }],
    'current-context': contextName,
    preferences: {},
  };
  return stringify(config, { lineWidth: 0 });
}

/** Renders and writes a kubeconfig readable by its owner only, replacing any previous file atomically. */
export async function writeKubeconfig(path: string, opts: KubeconfigOptions): Promise<void> {
  const text = renderKubeconfig(opts);
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeFileAtomic(path, text, 0o600);
}

function base64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}
