import { describe, expect, it } from 'vitest';
import { parseRequestInfo } from '../../../control-plane/apiserver/request-info.js';

const info = (method: string, path: string) => parseRequestInfo(method, new URL(path, 'https://x'));

describe('parseRequestInfo', () => {
  it('parses namespaced collection and item paths', () => {
    expect(info('GET', '/api/v1/namespaces/ns1/pods')).toMatchObject({
      verb: 'list',
      group: '',
      version: 'v1',
      namespace: 'ns1',
      resource: 'pods',
      name: '',
    });
    expect(info('GET', '/api/v1/namespaces/ns1/pods/p1')).toMatchObject({
      verb: 'get',
      namespace: 'ns1',
      resource: 'pods',
      name: 'p1',
    });
    expect(info('PUT', '/api/v1/namespaces/ns1/pods/p1/status')).toMatchObject({
      verb: 'update',
      subresource: 'status',
    });
    expect(info('POST', '/api/v1/namespaces/ns1/pods/p1/binding')).toMatchObject({
      verb: 'create',
      subresource: 'binding',
    });
  });

  it('parses group paths, watch and deletecollection', () => {
    expect(info('GET', '/apis/apps/v1/namespaces/a/deployments?watch=true')).toMatchObject({
      verb: 'watch',
      group: 'apps',
      resource: 'deployments',
    });
    expect(info('GET', '/apis/apps/v1/deployments')).toMatchObject({ verb: 'list', namespace: '' });
    expect(info('DELETE', '/api/v1/namespaces/a/configmaps')).toMatchObject({ verb: 'deletecollection' });
    expect(info('DELETE', '/api/v1/namespaces/a/configmaps/c')).toMatchObject({ verb: 'delete', name: 'c' });
    expect(info('PATCH', '/apis/apps/v1/namespaces/a/deployments/d/scale')).toMatchObject({
      verb: 'patch',
      subresource: 'scale',
    });
  });

  it('treats namespaces themselves as a cluster-scoped resource', () => {
    expect(info('GET', '/api/v1/namespaces')).toMatchObject({
      verb: 'list',
      resource: 'namespaces',
      namespace: '',
    });
    expect(info('GET', '/api/v1/namespaces/kube-system')).toMatchObject({
      verb: 'get',
      resource: 'namespaces',
      name: 'kube-system',
      namespace: '',
    });
    expect(info('PUT', '/api/v1/namespaces/x/finalize')).toMatchObject({
      resource: 'namespaces',
      name: 'x',
      subresource: 'finalize',
    });
  });

  it('keeps extra segments of proxy paths', () => {
    expect(info('GET', '/api/v1/nodes/n1/proxy/metrics/cadvisor')).toMatchObject({
      resource: 'nodes',
      name: 'n1',
      subresource: 'proxy',
      rest: ['metrics', 'cadvisor'],
    });
  });

  it('marks non-resource paths', () => {
    expect(info('GET', '/version').isResourceRequest).toBe(false);
    expect(info('GET', '/api').isResourceRequest).toBe(false);
    expect(info('GET', '/api/v1').isResourceRequest).toBe(false);
    expect(info('GET', '/apis/apps/v1').isResourceRequest).toBe(false);
  });
});
