import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { parse } from 'yaml';
import { SkiffError } from '../api/errors.js';

/** Everything needed to reach and authenticate to an API server. PEM material is inlined. */
export interface ClusterConnection {
  server: string;
  ca?: string;
  cert?: string;
  key?: string;
  token?: string;
  /** Re-read on use, so rotated (projected) service-account tokens are picked up. */
  tokenFile?: string;
  insecure?: boolean;
  /** The default namespace of the context (or of the service account in cluster). */
  namespace?: string;
}

interface Named {
  name?: string;
  [field: string]: unknown;
}

interface RawCluster {
  server?: string;
  'certificate-authority'?: string;
  'certificate-authority-data'?: string;
  'insecure-skip-tls-verify'?: boolean;
}

interface RawUser {
  token?: string;
  tokenFile?: string;
  'client-certificate'?: string;
  'client-certificate-data'?: string;
  'client-key'?: string;
  'client-key-data'?: string;
}

interface RawContext {
  cluster?: string;
  user?: string;
  namespace?: string;
}

function invalid(path: string, message: string, cause?: unknown): SkiffError {
  return new SkiffError('SKIFF_KUBECONFIG_INVALID', `kubeconfig ${path}: ${message}`, { cause });
}

function readText(path: string, file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw invalid(path, `cannot read ${what} file ${file}`, e);
  }
}

function fromBase64(path: string, data: string, what: string): string {
  const text = Buffer.from(data, 'base64').toString('utf8');
  if (!text) throw invalid(path, `${what} is not valid base64`);
  return text;
}

function entry<T>(path: string, list: unknown, section: string, name: string): T {
  if (!Array.isArray(list)) throw invalid(path, `has no ${section} list`);
  const found = (list as Named[]).find((e) => e?.name === name);
  const field = section.slice(0, -1);
  if (!found) throw invalid(path, `${field} "${name}" not found`);
  const value = found[field];
  if (typeof value !== 'object' || value === null) throw invalid(path, `${field} "${name}" is empty`);
  return value as T;
}

/** The kubeconfig path to use: the explicit one, else the first of $KUBECONFIG, else ~/.kube/config. */
export function defaultKubeconfigPath(env: NodeJS.ProcessEnv = process.env): string {
  const fromEnv = env.KUBECONFIG?.split(delimiter).find((p) => p.length > 0);
  return fromEnv ?? join(env.HOME ?? homedir(), '.kube', 'config');
}

/** Parses kubeconfig text; `path` names the file in errors and anchors relative file references. */
export function parseKubeconfig(text: string, path: string, contextName?: string): ClusterConnection {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (e) {
    throw invalid(path, 'is not valid YAML', e);
  }
  if (typeof doc !== 'object' || doc === null) throw invalid(path, 'is not a YAML mapping');
  const name = contextName ?? (doc['current-context'] as string | undefined);
  if (!name) throw invalid(path, 'has no current-context and no context was named');
  const context = entry<RawContext>(path, doc.contexts, 'contexts', name);
  if (!context.cluster) throw invalid(path, `context "${name}" names no cluster`);
  const cluster = entry<RawCluster>(path, doc.clusters, 'clusters', context.cluster);
  const user = context.user ? entry<RawUser>(path, doc.users, 'users', context.user) : {};
  if (!cluster.server) throw invalid(path, `cluster "${context.cluster}" has no server`);
  try {
    new URL(cluster.server);
  } catch (e) {
    throw invalid(path, `cluster "${context.cluster}" has an invalid server URL ${cluster.server}`, e);
  }
  const base = dirname(resolve(path));
  const file = (p: string): string => (isAbsolute(p) ? p : join(base, p));

  const conn: ClusterConnection = { server: cluster.server.replace(/\/+$/, '') };
  if (cluster['certificate-authority-data']) {
    conn.ca = fromBase64(path, cluster['certificate-authority-data'], 'certificate-authority-data');
  } else if (cluster['certificate-authority']) {
    conn.ca = readText(path, file(cluster['certificate-authority']), 'certificate-authority');
  }
  if (cluster['insecure-skip-tls-verify']) conn.insecure = true;
  if (user['client-certificate-data']) {
    conn.cert = fromBase64(path, user['client-certificate-data'], 'client-certificate-data');
  } else if (user['client-certificate']) {
    conn.cert = readText(path, file(user['client-certificate']), 'client-certificate');
  }
  if (user['client-key-data']) {
    conn.key = fromBase64(path, user['client-key-data'], 'client-key-data');
  } else if (user['client-key']) {
    conn.key = readText(path, file(user['client-key']), 'client-key');
  }
  if (Boolean(conn.cert) !== Boolean(conn.key)) {
    throw invalid(path, `user "${context.user}" needs both a client certificate and a client key`);
  }
  if (user.token) conn.token = user.token;
  else if (user.tokenFile) conn.tokenFile = file(user.tokenFile);
  if (context.namespace) conn.namespace = context.namespace;
  return conn;
}

/** Loads a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config) and resolves one context. */
export function loadKubeconfig(opts: { path?: string; context?: string } = {}): ClusterConnection {
  const path = opts.path ?? defaultKubeconfigPath();
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw invalid(path, 'cannot be read', e);
  }
  return parseKubeconfig(text, path, opts.context);
}

export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** The connection of a pod: service-account token, CA and namespace, and the in-cluster service address. */
export function inClusterConfig(opts: { dir?: string; env?: NodeJS.ProcessEnv } = {}): ClusterConnection {
  const dir = opts.dir ?? SERVICE_ACCOUNT_DIR;
  const env = opts.env ?? process.env;
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT;
  if (!host || !port) {
    throw new SkiffError(
      'SKIFF_KUBECONFIG_INVALID',
      'not running in a cluster: KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT must be set',
    );
  }
  const where = `in-cluster (${dir})`;
  const tokenFile = join(dir, 'token');
  readText(where, tokenFile, 'token');
  const conn: ClusterConnection = {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    tokenFile,
    ca: readText(where, join(dir, 'ca.crt'), 'ca.crt'),
  };
  try {
    const ns = readFileSync(join(dir, 'namespace'), 'utf8').trim();
    if (ns) conn.namespace = ns;
  } catch {
    // The namespace file is optional.
  }
  return conn;
}
