import type { Secret } from 'kubernetes-types/core/v1.js';
import type { AuthConfig } from '../shim/index.js';

interface DockerConfigEntry {
  auth?: string;
  username?: string;
  password?: string;
  identitytoken?: string;
  registrytoken?: string;
}

/** The registry host of an image reference, with Docker Hub's implied default. */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash < 0) return 'docker.io';
  const first = image.slice(0, slash);
  // A first component is a host when it has a dot or port, or is localhost (as docker parses it).
  return first.includes('.') || first.includes(':') || first === 'localhost' ? first : 'docker.io';
}

/** The host (and port) of a config key, which may be a URL such as https://index.docker.io/v1/. */
function keyHost(key: string): string {
  const host = key.replace(/^https?:\/\//, '').split('/')[0] ?? '';
  return host === 'index.docker.io' || host === 'registry-1.docker.io' ? 'docker.io' : host;
}

function entries(secret: Secret): Record<string, DockerConfigEntry> {
  const data = secret.data ?? {};
  const decode = (b64: string | undefined) => (b64 ? Buffer.from(b64, 'base64').toString('utf8') : '');
  if (secret.type === 'kubernetes.io/dockerconfigjson') {
    const parsed = JSON.parse(decode(data['.dockerconfigjson'])) as {
      auths?: Record<string, DockerConfigEntry>;
    };
    return parsed.auths ?? {};
  }
  if (secret.type === 'kubernetes.io/dockercfg') return JSON.parse(decode(data['.dockercfg']));
  return {};
}

/**
 * Credentials for pulling `image` from the pod's imagePullSecrets, in the order the kubelet
 * tries them: every entry whose registry matches the image's, from every secret. Malformed
 * secrets are skipped (upstream logs them and pulls without).
 */
export function pullCredentials(image: string, secrets: Secret[]): AuthConfig[] {
  const registry = registryOf(image);
  const out: AuthConfig[] = [];
  for (const secret of secrets) {
    let auths: Record<string, DockerConfigEntry>;
    try {
      auths = entries(secret);
    } catch {
      continue;
    }
    for (const [key, e] of Object.entries(auths)) {
      if (keyHost(key) !== registry) continue;
      let { username, password } = e;
      if (e.auth && !username) {
        const decoded = Buffer.from(e.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon > 0) {
          username = decoded.slice(0, colon);
          password = decoded.slice(colon + 1);
        }
      }
      out.push({
        username,
        password,
        serverAddress: registry,
        ...(e.identitytoken ? { identityToken: e.identitytoken } : {}),
        ...(e.registrytoken ? { registryToken: e.registrytoken } : {}),
      });
    }
  }
  return out;
}
