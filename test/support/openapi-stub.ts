import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildV3GroupVersion, buildV3Root } from '../../api/openapi/v3.js';
import { groupVersions, RESOURCES, type ResourceDef } from '../../api/resources.js';

/**
 * A plain-HTTP stand-in for the apiserver that serves only what kubectl needs around OpenAPI:
 * /version, legacy discovery, /openapi/v3, and create/get/patch kept in memory. It records
 * every request so tests can see what kubectl sent.
 */
export interface OpenApiStub {
  url: string;
  kubeconfig: string;
  requests: { method: string; url: string; contentType?: string; body: string }[];
  close(): Promise<void>;
}

function resourceList(resources: readonly ResourceDef[], group: string, version: string): object {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: group ? `${group}/${version}` : version,
    resources: resources
      .filter((r) => r.group === group && r.version === version)
      .map((r) => ({
        name: r.plural,
        singularName: r.singular,
        namespaced: r.namespaced,
        kind: r.kind,
        verbs: r.verbs,
        shortNames: r.shortNames,
        categories: r.categories,
      })),
  };
}

function send(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      data += c;
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function discovery(resources: readonly ResourceDef[], path: string): unknown {
  if (path === '/version') return { major: '1', minor: '32', gitVersion: 'v1.32.4' };
  if (path === '/api') {
    return {
      kind: 'APIVersions',
      versions: ['v1'],
      serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress: '127.0.0.1' }],
    };
  }
  if (path === '/apis') {
    const groups = groupVersions(resources)
      .filter((gv) => gv.group !== '')
      .map(({ group, version }) => {
        const gv = { groupVersion: `${group}/${version}`, version };
        return { name: group, versions: [gv], preferredVersion: gv };
      });
    return { kind: 'APIGroupList', apiVersion: 'v1', groups };
  }
  if (path === '/api/v1') return resourceList(resources, '', 'v1');
  const parts = path.split('/');
  if (parts.length === 4 && parts[1] === 'apis') return resourceList(resources, parts[2]!, parts[3]!);
  if (path === '/openapi/v3') return buildV3Root(resources);
  if (path.startsWith('/openapi/v3/')) {
    const [root, a, b] = path.slice('/openapi/v3/'.length).split('/');
    return root === 'api' ? buildV3GroupVersion('', a!, resources) : buildV3GroupVersion(a!, b!, resources);
  }
  return undefined;
}

export async function startOpenApiStub(resources: readonly ResourceDef[] = RESOURCES): Promise<OpenApiStub> {
  const objects = new Map<string, Record<string, unknown>>();
  const requests: OpenApiStub['requests'] = [];
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://stub').pathname;
    readBody(req).then(
      (body) => {
        requests.push({
          method: req.method ?? '',
          url: req.url ?? '',
          contentType: req.headers['content-type'],
          body,
        });
        const found = req.method === 'GET' ? (discovery(resources, path) ?? objects.get(path)) : undefined;
        if (found !== undefined) return send(res, 200, found);
        if (req.method === 'POST') {
          const obj = JSON.parse(body) as { metadata: { name: string; uid?: string } };
          obj.metadata.uid = `uid-${objects.size + 1}`;
          objects.set(`${path}/${obj.metadata.name}`, obj);
          return send(res, 201, obj);
        }
        if (req.method === 'PATCH' && objects.has(path)) return send(res, 200, objects.get(path));
        send(res, 404, {
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'NotFound',
          code: 404,
          message: 'not found',
        });
      },
      () => send(res, 500, {}),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kubeconfig = join(mkdtempSync(join(tmpdir(), 'skiff-openapi-stub-')), 'kubeconfig');
  writeFileSync(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      `clusters: [{name: stub, cluster: {server: "${url}"}}]`,
      'users: [{name: stub, user: {}}]',
      'contexts: [{name: stub, context: {cluster: stub, user: stub, namespace: default}}]',
      'current-context: stub',
      '',
    ].join('\n'),
  );
  return {
    url,
    kubeconfig,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
