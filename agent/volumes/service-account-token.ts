import type { Pod, ServiceAccountTokenProjection } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError, type StatusError } from '../../api/errors.js';
import type { ApiClient, ResourceRef } from '../../client/rest-client.js';

const SERVICEACCOUNTS: ResourceRef = {
  group: '',
  version: 'v1',
  plural: 'serviceaccounts',
  namespaced: true,
};

/** How long to wait before asking again an API that does not serve serviceaccounts/token. */
const UNSUPPORTED_RETRY_MS = 300_000;
/** Upstream refreshes a token at 80% of its lifetime, or after 24 h. */
const REFRESH_FRACTION = 0.8;
const MAX_AGE_MS = 86_400_000;

interface TokenRequestStatus {
  status?: { token?: string; expirationTimestamp?: string };
}

interface Cached {
  token: string;
  refreshAt: number;
  expiresAt: number;
}

/**
 * Bound service-account tokens for projected volumes, through the TokenRequest API
 * (`POST serviceaccounts/<name>/token`), cached per pod and refreshed as upstream does. While the
 * API server does not serve that subresource, `token()` returns undefined (logged once).
 */
export class ServiceAccountTokens {
  private readonly cache = new Map<string, Cached>();
  private unsupportedUntil = 0;
  private loggedUnsupported = false;

  constructor(private readonly d: { api: ApiClient; log: Logger; now: () => number }) {}

  async token(pod: Pod, p: ServiceAccountTokenProjection): Promise<string | undefined> {
    const uid = pod.metadata?.uid ?? '';
    const sa = pod.spec?.serviceAccountName || 'default';
    const seconds = p.expirationSeconds ?? 3600;
    const key = [uid, sa, p.audience ?? '', seconds].join('\0');
    const now = this.d.now();
    const cached = this.cache.get(key);
    if (cached && now < cached.refreshAt) return cached.token;
    if (now < this.unsupportedUntil) return undefined;
    try {
      const res = await this.d.api.subresource<TokenRequestStatus>('POST', SERVICEACCOUNTS, sa, 'token', {
        namespace: pod.metadata?.namespace,
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: {
            audiences: p.audience ? [p.audience] : [],
            expirationSeconds: seconds,
            boundObjectRef: { apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid },
          },
        },
      });
      const token = res.status?.token;
      if (!token) throw new Error('TokenRequest returned no token');
      const expiresAt = Date.parse(res.status?.expirationTimestamp ?? '') || now + seconds * 1000;
      const ttl = expiresAt - now;
      this.cache.set(key, {
        token,
        expiresAt,
        refreshAt: now + Math.min(ttl * REFRESH_FRACTION, MAX_AGE_MS),
      });
      return token;
    } catch (e) {
      if (isStatusError(e, 'MethodNotAllowed') || (isStatusError(e, 'NotFound') && isRouteMissing(e))) {
        this.unsupportedUntil = now + UNSUPPORTED_RETRY_MS;
        if (!this.loggedUnsupported) {
          this.loggedUnsupported = true;
          this.d.log.info(
            { status: e instanceof Error ? e.message : String(e) },
            'API server does not issue service account tokens; serviceAccountToken projections are left out',
          );
        }
        return undefined;
      }
      // A token that is still valid serves while the refresh fails.
      if (cached && now < cached.expiresAt) return cached.token;
      throw e;
    }
  }

  /** Drops the pod's tokens. */
  forget(uid: string): void {
    for (const k of this.cache.keys()) if (k.startsWith(`${uid}\0`)) this.cache.delete(k);
  }
}

/** A 404 for the path itself (no such subresource), not for a missing ServiceAccount. */
function isRouteMissing(e: StatusError): boolean {
  return e.details?.kind !== 'serviceaccounts';
}
