/**
 * What a request addresses, parsed from its path and method as kube-apiserver's RequestInfoFactory does:
 * /api/v1/namespaces/{ns}/{resource}/{name}/{subresource} and /apis/{group}/{version}/...
 */
export type Verb =
  | 'get'
  | 'list'
  | 'watch'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'deletecollection'
  | 'connect';

export interface ResourceRequestInfo {
  isResourceRequest: true;
  verb: Verb;
  apiPrefix: 'api' | 'apis';
  group: string;
  version: string;
  namespace: string;
  resource: string;
  subresource: string;
  name: string;
  /** Extra path segments after the subresource (nodes/x/proxy/metrics). */
  rest: string[];
}

export interface NonResourceRequestInfo {
  isResourceRequest: false;
  verb: string;
  path: string;
}

export type RequestInfo = ResourceRequestInfo | NonResourceRequestInfo;

export function parseRequestInfo(method: string, url: URL): RequestInfo {
  const path = url.pathname;
  const lowerMethod = method.toLowerCase();
  const nonResource = (): NonResourceRequestInfo => ({ isResourceRequest: false, verb: lowerMethod, path });
  const parts = path.split('/').filter((p) => p !== '');
  if (parts.length === 0 || (parts[0] !== 'api' && parts[0] !== 'apis')) return nonResource();
  const apiPrefix = parts[0] as 'api' | 'apis';
  let i = 1;
  let group = '';
  if (apiPrefix === 'apis') {
    if (parts.length < 3) return nonResource();
    group = parts[1];
    i = 2;
  } else if (parts.length < 2) {
    return nonResource();
  }
  const version = parts[i++];
  let rest = parts.slice(i).map(decodeURIComponent);
  if (rest.length === 0) return nonResource();

  let namespace = '';
  if (rest[0] === 'namespaces') {
    if (rest.length >= 2) {
      namespace = rest[1];
      // /namespaces/{name} and /namespaces/{name}/status address the namespace itself.
      if (rest.length === 2 || (rest.length >= 3 && isNamespaceSubresource(rest[2]))) {
        rest = ['namespaces', ...rest.slice(1)];
        namespace = '';
      } else {
        rest = rest.slice(2);
      }
    }
  }
  const resource = rest[0];
  const name = rest[1] ?? '';
  const subresource = rest[2] ?? '';
  const tail = rest.slice(3);

  const watchParam = url.searchParams.get('watch');
  const isWatch = watchParam === 'true' || watchParam === '1';
  let verb: Verb;
  switch (lowerMethod) {
    case 'get':
    case 'head':
      verb = name ? 'get' : isWatch ? 'watch' : 'list';
      break;
    case 'post':
      verb = 'create';
      break;
    case 'put':
      verb = 'update';
      break;
    case 'patch':
      verb = 'patch';
      break;
    case 'delete':
      verb = name ? 'delete' : 'deletecollection';
      break;
    default:
      verb = 'connect';
  }
  if (name && !subresource && isWatch && verb === 'get') verb = 'watch';
  return {
    isResourceRequest: true,
    verb,
    apiPrefix,
    group,
    version,
    namespace,
    resource,
    subresource,
    name,
    rest: tail,
  };
}

function isNamespaceSubresource(segment: string): boolean {
  return segment === 'status' || segment === 'finalize';
}
