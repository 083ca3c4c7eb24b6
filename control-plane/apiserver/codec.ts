import { parse as parseYaml } from 'yaml';
import { badRequest, type StatusError, tooLarge, unsupportedMediaType } from '../../api/errors.js';
import { decodeProtobufObject, PROTOBUF_CONTENT_TYPE } from '../../api/protobuf/index.js';
import { type ApiRequest, type ApiResponse, writeHead } from './http-exchange.js';

/** Bodies over this size get 413, as kube-apiserver's 3 MiB request limit. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export const JSON_CONTENT_TYPE = 'application/json';
export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export async function readBody(req: ApiRequest, limit = MAX_BODY_BYTES): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? '0');
  if (declared > limit) {
    req.resume();
    throw tooLarge(limit);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buf = chunk as Buffer;
    size += buf.length;
    if (size > limit) {
      req.resume();
      throw tooLarge(limit);
    }
    chunks.push(buf);
  }
  return Buffer.concat(chunks);
}

/** The media type without parameters, lowercased: `application/json`. */
export function mediaType(contentType: string | undefined): string {
  return (contentType ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes an object body in JSON, YAML or Kubernetes protobuf. */
export function decodeObjectBody(contentType: string | undefined, body: Buffer): unknown {
  const type = mediaType(contentType) || JSON_CONTENT_TYPE;
  if (body.length === 0) throw badRequest('the request body is empty');
  switch (type) {
    case 'application/json':
      return parseJson(body);
    case 'application/yaml':
    case 'application/x-yaml':
    case 'text/yaml':
      return parseYamlBody(body);
    case PROTOBUF_CONTENT_TYPE:
      return decodeProtobufObject(body);
    default:
      throw unsupportedMediaType(type);
  }
}

export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (e) {
    throw badRequest(
      `the body of the request could not be decoded: json parse error: ${(e as Error).message}`,
    );
  }
}

export function parseYamlBody(body: Buffer): unknown {
  try {
    return parseYaml(body.toString('utf8'), { maxAliasCount: 100 });
  } catch (e) {
    throw badRequest(
      `the body of the request could not be decoded: yaml parse error: ${(e as Error).message}`,
    );
  }
}

export interface AcceptInfo {
  table: boolean;
  aggregatedDiscovery: 'v2' | 'v2beta1' | undefined;
}

/** Reads the Accept header: Table conversion and aggregated discovery requests. */
export function parseAccept(accept: string | undefined): AcceptInfo {
  const info: AcceptInfo = { table: false, aggregatedDiscovery: undefined };
  if (!accept) return info;
  for (const part of accept.split(',')) {
    const params = new Map<string, string>();
    const [type, ...rest] = part.split(';').map((s) => s.trim());
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim(), p.slice(eq + 1).trim());
    }
    if (type !== 'application/json' && type !== '*/*') continue;
    if (params.get('as') === 'Table' && params.get('g') === 'meta.k8s.io') {
      info.table = true;
      break;
    }
    if (params.get('as') === 'APIGroupDiscoveryList' && params.get('g') === 'apidiscovery.k8s.io') {
      const v = params.get('v');
      if (v === 'v2' || v === 'v2beta1') {
        info.aggregatedDiscovery = v;
        break;
      }
    }
    if (!params.has('as')) break;
  }
  return info;
}

export function writeJson(
  res: ApiResponse,
  code: number,
  body: unknown,
  contentType = JSON_CONTENT_TYPE,
  headers: Record<string, string> = {},
): void {
  const text = JSON.stringify(body);
  writeHead(res, code, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(text),
    'Cache-Control': 'no-cache, private',
    ...headers,
  });
  res.end(text);
}

export function writeStatusError(res: ApiResponse, err: StatusError): void {
  const headers: Record<string, string> = {};
  if (err.details?.retryAfterSeconds) headers['Retry-After'] = String(err.details.retryAfterSeconds);
  writeJson(res, err.code, err.toStatus(), JSON_CONTENT_TYPE, headers);
}
