import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { isStatusError, SkiffError } from '../../../api/errors.js';
import { findResource } from '../../../api/resources.js';
import { FakeClock } from '../../../client/clock.js';
import { ApiClient, resourcePath } from '../../../client/rest-client.js';

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

describe('ApiClient', () => {
  let server: Server;
  let url: string;
  const seen: Seen[] = [];
  let reply: (s: Seen) => { code: number; body: string; type?: string } = () => ({ code: 200, body: '{}' });

  beforeEach(async () => {
    seen.length = 0;
    reply = () => ({ code: 200, body: '{}' });
    server = createServer(async (req, res) => {
      const parts: Buffer[] = [];
      for await (const c of req) parts.push(c as Buffer);
      const s = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts).toString(),
      };
      seen.push(s);
      const r = reply(s);
      res.writeHead(r.code, { 'content-type': r.type ?? 'application/json' });
      res.end(r.body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('builds core, group, namespaced, cluster-scoped and subresource paths', () => {
    const pods = findResource('', 'v1', 'pods');
    const deploys = findResource('apps', 'v1', 'deployments');
    const nodes = findResource('', 'v1', 'nodes');
    if (!pods || !deploys || !nodes) throw new Error('registry lacks core resources');
    expect(resourcePath(pods, { namespace: 'ns' })).toBe('/api/v1/namespaces/ns/pods');
    expect(resourcePath(pods)).toBe('/api/v1/pods');
    expect(resourcePath(deploys, { namespace: 'ns', name: 'd', subresource: 'scale' })).toBe(
      '/apis/apps/v1/namespaces/ns/deployments/d/scale',
    );
    expect(resourcePath(nodes, { namespace: 'ignored', name: 'n1' })).toBe('/api/v1/nodes/n1');
  });

  it('sends the user agent, bearer token, query options and patch content types', async () => {
    const api = new ApiClient({ server: url, token: 'tok' }, { component: 'scheduler' });
    const pods = findResource('', 'v1', 'pods');
    if (!pods) throw new Error('no pods');
    await api.list(pods, { namespace: 'ns', labelSelector: 'app=web', limit: 10 });
    await api.patch(pods, 'p', { metadata: { labels: { a: 'b' } } }, 'strategic', { namespace: 'ns' });
    await api.patch(pods, 'p', { spec: {} }, 'apply', {
      namespace: 'ns',
      fieldManager: 'skiff',
      force: true,
    });
    await api.delete(pods, 'p', { namespace: 'ns', propagationPolicy: 'Foreground', gracePeriodSeconds: 0 });
    expect(seen[0].headers['user-agent']).toBe('skiff/scheduler');
    expect(seen[0].headers.authorization).toBe('Bearer tok');
    expect(seen[0].url).toBe('/api/v1/namespaces/ns/pods?labelSelector=app%3Dweb&limit=10');
    expect(seen[1].method).toBe('PATCH');
    expect(seen[1].headers['content-type']).toBe('application/strategic-merge-patch+json');
    expect(seen[2].headers['content-type']).toBe('application/apply-patch+yaml');
    expect(seen[2].url).toBe('/api/v1/namespaces/ns/pods/p?fieldManager=skiff&force=true');
    expect(JSON.parse(seen[3].body)).toEqual({
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 0,
      propagationPolicy: 'Foreground',
    });
    await api.close();
  });

  it('turns a Status body into a StatusError with reason, code and details', async () => {
    reply = () => ({
      code: 404,
      body: JSON.stringify({
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'pods "x" not found',
        reason: 'NotFound',
        details: { name: 'x', kind: 'pods' },
        code: 404,
      }),
    });
    const api = new ApiClient({ server: url });
    const pods = findResource('', 'v1', 'pods');
    if (!pods) throw new Error('no pods');
    const err = await api.get(pods, 'x', { namespace: 'ns' }).catch((e: unknown) => e);
    expect(isStatusError(err, 'NotFound')).toBe(true);
    expect(err).toMatchObject({
      code: 404,
      message: 'pods "x" not found',
      details: { name: 'x', kind: 'pods' },
    });
    reply = () => ({ code: 409, body: 'plain text conflict', type: 'text/plain' });
    const conflict = await api.get(pods, 'x', { namespace: 'ns' }).catch((e: unknown) => e);
    expect(isStatusError(conflict, 'Conflict')).toBe(true);
    await api.close();
  });

  it('returns text for non-JSON raw requests', async () => {
    reply = () => ({ code: 200, body: 'ok', type: 'text/plain' });
    const api = new ApiClient({ server: url });
    expect(await api.request('GET', '/readyz')).toBe('ok');
    await api.close();
  });

  it('reports an unreachable server as SKIFF_API_UNAVAILABLE', async () => {
    const dead = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const api = new ApiClient({ server: dead });
    const err = await api.request('GET', '/version').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SkiffError);
    expect((err as SkiffError).code).toBe('SKIFF_API_UNAVAILABLE');
    await api.close();
    server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  });

  it('times a request out after timeoutMs with SKIFF_API_UNAVAILABLE', async () => {
    server.removeAllListeners('request');
    server.on('request', () => {
      // never answers
    });
    const api = new ApiClient({ server: url }, { timeoutMs: 100 });
    const err = await api.request('GET', '/version').catch((e: unknown) => e);
    expect((err as SkiffError).code).toBe('SKIFF_API_UNAVAILABLE');
    await api.close();
  });

  it('holds requests beyond the burst until the client-side rate limit allows them', async () => {
    const clock = new FakeClock();
    const api = new ApiClient({ server: url }, { qps: 2, burst: 1, clock });
    await api.request('GET', '/one');
    let second = false;
    const pending = api.request('GET', '/two').then(() => {
      second = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(second).toBe(false);
    expect(seen.map((s) => s.url)).toEqual(['/one']);
    await clock.advanceAsync(500);
    await pending;
    expect(seen.map((s) => s.url)).toEqual(['/one', '/two']);
    await api.close();
  });
});
