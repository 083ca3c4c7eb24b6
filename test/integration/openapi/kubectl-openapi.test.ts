import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kubectlFor } from '../../support/kubectl.js';
import { type OpenApiStub, startOpenApiStub } from '../../support/openapi-stub.js';

const DEPLOYMENT = (name: string, containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [${containers}]}
`;

describe('kubectl against the served OpenAPI v3', () => {
  let stub: OpenApiStub;
  let kubectl: ReturnType<typeof kubectlFor>;

  beforeAll(async () => {
    stub = await startOpenApiStub();
    kubectl = kubectlFor(stub.kubeconfig);
  });
  afterAll(() => stub?.close());

  it('explains a resource and a nested field from the schemas', async () => {
    const pods = await kubectl(['explain', 'pods']);
    expect(pods.stderr).toBe('');
    expect(pods.stdout).toMatch(/KIND:\s+Pod/);
    expect(pods.stdout).toMatch(/spec\s+<PodSpec>/);
    const containers = await kubectl(['explain', 'deployment.spec.template.spec.containers']);
    expect(containers.stdout).toMatch(/GROUP:\s+apps/);
    expect(containers.stdout).toMatch(/FIELD: containers <\[\]Container>/);
    expect(containers.stdout).toMatch(/name\s+<string> -required-/);
    expect(containers.stdout).toMatch(/image\s+<string>\n\s+Container image name/);
  });

  it('sends fieldValidation=Strict on create without fetching /openapi/v2', async () => {
    const res = await kubectl(['create', '-f', '-'], DEPLOYMENT('web', '{name: web, image: busybox}'));
    expect(res.stderr).toBe('');
    expect(res.stdout).toMatch(/deployment.apps\/web created/);
    const post = stub.requests.find((r) => r.method === 'POST');
    expect(post?.url).toMatch(/\/apis\/apps\/v1\/namespaces\/default\/deployments\?.*fieldValidation=Strict/);
    expect(stub.requests.some((r) => r.url.startsWith('/openapi/v2'))).toBe(false);
  });

  it('builds the apply patch from the schema merge keys', async () => {
    const first = await kubectl(
      ['apply', '-f', '-'],
      DEPLOYMENT('applied', '{name: app, image: busybox}, {name: side, image: busybox}'),
    );
    expect(first.code).toBe(0);
    const second = await kubectl(['apply', '-f', '-'], DEPLOYMENT('applied', '{name: app, image: busybox}'));
    expect(second.stderr).toBe('');
    const patch = stub.requests.find((r) => r.method === 'PATCH');
    expect(patch?.contentType).toBe('application/strategic-merge-patch+json');
    const body = JSON.parse(patch!.body) as { spec: { template: { spec: { containers: unknown[] } } } };
    expect(body.spec.template.spec.containers).toContainEqual({ $patch: 'delete', name: 'side' });
  });
});
