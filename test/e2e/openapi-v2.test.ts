import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlResult, kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

let server: TestServer;
let kubectl: (args: string[]) => Promise<KubectlResult>;

const ok = (r: KubectlResult) => {
  if (r.code !== 0) throw new Error(`kubectl failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

beforeAll(async () => {
  server = await startSkiffServer();
  kubectl = kubectlFor(server.kubeconfig);
});

afterAll(async () => {
  await server?.stop();
});

describe('/openapi/v2', () => {
  it('feeds kubectl explain --output=plaintext-openapiv2 with field descriptions', async () => {
    const out = ok(await kubectl(['explain', 'pods.spec.containers', '--output=plaintext-openapiv2']));
    expect(out).toMatch(/KIND:\s+Pod\nVERSION:\s+v1/);
    expect(out).toMatch(/RESOURCE: containers <\[\]Object>/);
    expect(out).toMatch(/List of containers belonging to the pod/);
    expect(out).toMatch(/ {3}image\t<string>\n\s+Container image name\./);
    expect(out).toMatch(/ {3}name\t<string> -required-\n\s+Name of the container specified as a DNS_LABEL/);
    // The second run revalidates kubectl's HTTP cache with the ETag and must print the same.
    expect(ok(await kubectl(['explain', 'pods.spec.containers', '--output=plaintext-openapiv2']))).toBe(out);
  });

  it('explains a kind of another group from the same document', async () => {
    const out = ok(await kubectl(['explain', 'deployments', '--output=plaintext-openapiv2']));
    expect(out).toMatch(/KIND:\s+Deployment\nVERSION:\s+apps\/v1/);
    expect(out).toMatch(/Deployment enables declarative updates for Pods and ReplicaSets/);
    expect(out).toMatch(/ {3}spec\t<Object>/);
    const field = ok(await kubectl(['explain', 'deployments.spec.replicas', '--output=plaintext-openapiv2']));
    expect(field).toMatch(/FIELD:\s+replicas <integer>/);
  });

  it('leaves the default, OpenAPI v3 based, explain working', async () => {
    const out = ok(await kubectl(['explain', 'pods.spec.containers']));
    expect(out).toMatch(/FIELD: containers <\[\]Container>/);
    expect(out).toMatch(/image\s+<string>\n\s+Container image name/);
  });

  it('answers JSON with an ETag, 304 for a matching If-None-Match, 406 for nothing it can produce', async () => {
    const res = await server.fetch('GET', '/openapi/v2', undefined, { accept: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    const etag = res.headers.etag as string;
    expect(etag).toMatch(/^"[0-9A-F]{128}"$/);
    const doc = res.json() as { swagger: string; definitions: Record<string, unknown>; paths: object };
    expect(doc.swagger).toBe('2.0');
    expect(doc.definitions['io.k8s.api.apps.v1.Deployment']).toBeDefined();
    expect(doc.paths).toHaveProperty(['/api/v1/namespaces/{namespace}/pods/{name}']);

    const again = await server.fetch('GET', '/openapi/v2', undefined, { 'if-none-match': etag });
    expect(again.status).toBe(304);
    expect(again.text).toBe('');
    expect(again.headers.etag).toBe(etag);
    const stale = await server.fetch('GET', '/openapi/v2', undefined, { 'if-none-match': '"0"' });
    expect(stale.status).toBe(200);

    const pb = await server.fetch('GET', '/openapi/v2', undefined, {
      accept: 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf',
    });
    expect(pb.status).toBe(200);
    expect(pb.headers['content-type']).toBe('application/com.github.proto-openapi.spec.v2.v1.0+protobuf');
    expect(pb.headers.etag).toBe(etag);

    const refused = await server.fetch('GET', '/openapi/v2', undefined, { accept: 'text/html' });
    expect(refused.status).toBe(406);
    expect(refused.json()).toMatchObject({ kind: 'Status', reason: 'NotAcceptable', code: 406 });

    const root = await server.fetch('GET', '/');
    expect(root.json().paths).toContain('/openapi/v2');
  });
});
