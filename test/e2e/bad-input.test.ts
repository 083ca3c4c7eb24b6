import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startSkiffServer();
});
afterAll(async () => {
  await server?.stop();
});

const CM = '/api/v1/namespaces/default/configmaps';

async function expectStatus(res: { status: number; json: () => any }, code: number, reason: string) {
  expect(res.status).toBe(code);
  const body = res.json();
  expect(body).toMatchObject({ kind: 'Status', apiVersion: 'v1', status: 'Failure', code, reason });
  return body;
}

async function count(): Promise<number> {
  return (await server.fetch('GET', CM)).json().items.length;
}

describe('bad input gets a metav1.Status and writes nothing', () => {
  it('rejects requests without credentials with 401', async () => {
    const { Agent, request } = await import('undici');
    const dispatcher = new Agent({ connect: { rejectUnauthorized: false } });
    const res = await request(`${server.url}/api/v1/namespaces`, { dispatcher });
    expect(res.statusCode).toBe(401);
    expect(await res.body.json()).toMatchObject({ kind: 'Status', reason: 'Unauthorized', code: 401 });
    await dispatcher.close();
  });

  it('rejects malformed JSON and YAML', async () => {
    const before = await count();
    await expectStatus(await server.fetch('POST', CM, '{"metadata": {'), 400, 'BadRequest');
    await expectStatus(
      await server.fetch('POST', CM, 'metadata: [oops', { 'content-type': 'application/yaml' }),
      400,
      'BadRequest',
    );
    expect(await count()).toBe(before);
  });

  it('rejects a wrong apiVersion or kind', async () => {
    const body = await expectStatus(
      await server.fetch('POST', CM, { apiVersion: 'apps/v1', kind: 'ConfigMap', metadata: { name: 'x' } }),
      400,
      'BadRequest',
    );
    expect(body.message).toContain('apps/v1');
    await expectStatus(
      await server.fetch('POST', CM, { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'x' } }),
      400,
      'BadRequest',
    );
  });

  it('rejects unknown fields under Strict, warns under Warn', async () => {
    const strict = await expectStatus(
      await server.fetch('POST', `${CM}?fieldValidation=Strict`, { metadata: { name: 'strict' }, dataa: {} }),
      400,
      'BadRequest',
    );
    expect(strict.message).toContain('unknown field "dataa"');
    const warn = await server.fetch('POST', `${CM}?fieldValidation=Warn`, {
      metadata: { name: 'warned' },
      dataa: {},
    });
    expect(warn.status).toBe(201);
    expect(String(warn.headers.warning)).toContain('unknown field \\"dataa\\"');
    expect(warn.json().dataa).toBeUndefined();
  });

  it('rejects bodies over 3 MiB with 413', async () => {
    const big = JSON.stringify({ metadata: { name: 'big' }, data: { x: 'a'.repeat(3 * 1024 * 1024 + 10) } });
    await expectStatus(await server.fetch('POST', CM, big), 413, 'RequestEntityTooLarge');
    await expectStatus(await server.fetch('GET', `${CM}/big`), 404, 'NotFound');
  });

  it('rejects invalid names and selectors', async () => {
    const body = await expectStatus(
      await server.fetch('POST', CM, { metadata: { name: 'Bad_Name' } }),
      422,
      'Invalid',
    );
    expect(body.details.causes[0].field).toBe('metadata.name');
    await expectStatus(
      await server.fetch('GET', `${CM}?labelSelector=${encodeURIComponent('a in (')}`),
      400,
      'BadRequest',
    );
    await expectStatus(await server.fetch('GET', `${CM}?fieldSelector=spec.nope%3Dx`), 400, 'BadRequest');
  });

  it('rejects patches that do not apply and leaves the object as it was', async () => {
    const created = await server.fetch('POST', CM, { metadata: { name: 'patched' }, data: { a: '1' } });
    expect(created.status).toBe(201);
    const rv = created.json().metadata.resourceVersion;
    const res = await server.fetch('PATCH', `${CM}/patched`, [{ op: 'test', path: '/data/a', value: '2' }], {
      'content-type': 'application/json-patch+json',
    });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.json().kind).toBe('Status');
    await expectStatus(
      await server.fetch('PATCH', `${CM}/patched`, '{"data":', {
        'content-type': 'application/merge-patch+json',
      }),
      400,
      'BadRequest',
    );
    await expectStatus(
      await server.fetch('PATCH', `${CM}/patched`, '{}', { 'content-type': 'text/plain' }),
      415,
      'UnsupportedMediaType',
    );
    const after = (await server.fetch('GET', `${CM}/patched`)).json();
    expect(after.metadata.resourceVersion).toBe(rv);
    expect(after.data).toEqual({ a: '1' });
  });

  it('rejects a stale resourceVersion with 409 Conflict', async () => {
    const created = (
      await server.fetch('POST', CM, { metadata: { name: 'stale' }, data: { a: '1' } })
    ).json();
    const update = { ...created, data: { a: '2' } };
    expect((await server.fetch('PUT', `${CM}/stale`, update)).status).toBe(200);
    await expectStatus(
      await server.fetch('PUT', `${CM}/stale`, { ...created, data: { a: '3' } }),
      409,
      'Conflict',
    );
    expect((await server.fetch('GET', `${CM}/stale`)).json().data).toEqual({ a: '2' });
  });

  it('answers 404 for unknown resources and 400 for a malformed resourceVersion', async () => {
    await expectStatus(await server.fetch('GET', '/api/v1/nopes'), 404, 'NotFound');
    await expectStatus(await server.fetch('GET', '/apis/nothing.example.com/v1/things'), 404, 'NotFound');
    await expectStatus(await server.fetch('GET', `${CM}?resourceVersion=abc`), 400, 'BadRequest');
  });

  it('still serves after all of it', async () => {
    expect((await server.fetch('GET', '/readyz')).status).toBe(200);
  });
});
