import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KubeletContainerInputs } from '../../../agent/container-inputs.js';
import { ServiceAccountTokens } from '../../../agent/volumes/service-account-token.js';
import { SourceCache } from '../../../agent/volumes/source-cache.js';
import { methodNotAllowed, notFound, serviceUnavailable } from '../../../api/errors.js';
import type { ApiClient } from '../../../client/rest-client.js';

const log = pino({ level: 'silent' });

/** An ApiClient whose GETs answer from `objects` (by plural/namespace/name) and are counted. */
function fakeApi(objects: Map<string, unknown>) {
  const calls: string[] = [];
  let failing = false;
  const api = {
    get: async (res: { plural: string }, name: string, opts: { namespace?: string }) => {
      const key = `${res.plural}/${opts.namespace ?? ''}/${name}`;
      calls.push(key);
      await new Promise((r) => setTimeout(r, 5));
      if (failing) throw serviceUnavailable('down');
      const o = objects.get(key);
      if (!o) throw notFound({ group: '', resource: res.plural }, name);
      return structuredClone(o);
    },
  } as unknown as ApiClient;
  return { api, calls, fail: (f: boolean) => (failing = f) };
}

describe('source cache', () => {
  it('reads each object once per TTL for all callers, missing ones again sooner', async () => {
    let now = 1000;
    const objects = new Map<string, unknown>([['configmaps/ns/a', { data: { k: 'v1' } }]]);
    const { api, calls } = fakeApi(objects);
    const cache = new SourceCache({ api, log, now: () => now, ttlMs: 10_000, missingTtlMs: 3000 });
    const [x, y] = await Promise.all([cache.configMap('ns', 'a'), cache.configMap('ns', 'a')]);
    expect(x?.data?.k).toBe('v1');
    expect(y?.data?.k).toBe('v1');
    expect(await cache.configMap('ns', 'b')).toBeUndefined();
    expect(calls).toEqual(['configmaps/ns/a', 'configmaps/ns/b']);

    objects.set('configmaps/ns/a', { data: { k: 'v2' } });
    objects.set('configmaps/ns/b', { data: {} });
    now += 2000;
    expect((await cache.configMap('ns', 'a'))?.data?.k).toBe('v1');
    expect(await cache.configMap('ns', 'b')).toBeUndefined();
    expect(calls).toHaveLength(2);
    now += 1500;
    expect(await cache.configMap('ns', 'b')).toEqual({ data: {} });
    now += 7000;
    expect((await cache.configMap('ns', 'a'))?.data?.k).toBe('v2');
    expect(calls).toEqual(['configmaps/ns/a', 'configmaps/ns/b', 'configmaps/ns/b', 'configmaps/ns/a']);
  });

  it('keeps serving the cached copy while the API fails, and fails a first read', async () => {
    let now = 0;
    const { api, fail } = fakeApi(new Map([['secrets/ns/s', { data: { k: 'djE=' } }]]));
    const cache = new SourceCache({ api, log, now: () => now, ttlMs: 1000 });
    await cache.secret('ns', 's');
    fail(true);
    now += 5000;
    expect((await cache.secret('ns', 's'))?.data?.k).toBe('djE=');
    await expect(cache.secret('ns', 'other')).rejects.toThrow('down');
  });
});

describe('service account tokens', () => {
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u1' },
    spec: { containers: [], serviceAccountName: 'sa' },
  };

  it('requests a bound token, reuses it until 80% of its life, then refreshes', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const bodies: unknown[] = [];
    const api = {
      subresource: async (_m: string, _r: unknown, name: string, sub: string, o: { body: unknown }) => {
        bodies.push({ name, sub, body: o.body });
        return {
          status: { token: `t${bodies.length}`, expirationTimestamp: new Date(now + 3600_000).toISOString() },
        };
      },
    } as unknown as ApiClient;
    const tokens = new ServiceAccountTokens({ api, log, now: () => now });
    expect(await tokens.token(pod, { path: 'token', audience: 'vault', expirationSeconds: 3600 })).toBe('t1');
    expect(bodies[0]).toMatchObject({
      name: 'sa',
      sub: 'token',
      body: {
        spec: {
          audiences: ['vault'],
          expirationSeconds: 3600,
          boundObjectRef: { kind: 'Pod', name: 'p', uid: 'u1' },
        },
      },
    });
    now += 2000_000;
    expect(await tokens.token(pod, { path: 'token', audience: 'vault', expirationSeconds: 3600 })).toBe('t1');
    now += 1000_000;
    expect(await tokens.token(pod, { path: 'token', audience: 'vault', expirationSeconds: 3600 })).toBe('t2');
  });

  it('leaves tokens out while the API server does not serve TokenRequest, asking again later', async () => {
    let now = 0;
    let calls = 0;
    const api = {
      subresource: async () => {
        calls++;
        throw methodNotAllowed('POST is not supported on serviceaccounts/token');
      },
    } as unknown as ApiClient;
    const tokens = new ServiceAccountTokens({ api, log, now: () => now });
    expect(await tokens.token(pod, { path: 'token' })).toBeUndefined();
    expect(await tokens.token(pod, { path: 'token' })).toBeUndefined();
    expect(calls).toBe(1);
    now += 300_000;
    await tokens.token(pod, { path: 'token' });
    expect(calls).toBe(2);
  });
});

describe('orphaned pod directories', () => {
  it('removes the directories of pods the kubelet does not know', async () => {
    const root = await mkdtemp(join(tmpdir(), 'skiff-orphans-'));
    try {
      for (const uid of ['keep', 'gone']) {
        await mkdir(join(root, 'pods', uid, 'volumes'), { recursive: true });
        await writeFile(join(root, 'pods', uid, 'volumes', 'f'), 'x');
      }
      const inputs = new KubeletContainerInputs({
        api: {} as ApiClient,
        log,
        rootDir: root,
        nodeName: 'n',
        tmpfs: false,
      });
      await inputs.cleanupOrphans(new Set(['keep']));
      expect(await readdir(join(root, 'pods'))).toEqual(['keep']);
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
