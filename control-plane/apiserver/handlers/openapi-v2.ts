import { createHash } from 'node:crypto';
import { methodNotAllowed, notAcceptable } from '../../../api/errors.js';
import { buildV2, encodeV2Protobuf } from '../../../api/openapi/index.js';
import type { ResourceDef } from '../../../api/resources.js';
import { type ApiRequest, type ApiResponse, writeHead } from '../http-exchange.js';

/**
 * The protobuf media types of /openapi/v2: the one client-go asks for, and the spelling every
 * answer carries, since `@` is not allowed in a media type and Go's mime parser rejects it.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';
const JSON_TYPE = 'application/json';

export type OpenApiV2Form = { form: 'json'; contentType: string } | { form: 'protobuf'; contentType: string };

/**
 * Picks the form of /openapi/v2 from an Accept header, as kube-openapi does: JSON for no header,
 * `*\/*`, `application/*` or `application/json`; protobuf for its two media types; the first
 * acceptable range by quality (then order) wins. Undefined means nothing offered is acceptable.
 */
export function negotiateOpenApiV2(accept: string | undefined): OpenApiV2Form | undefined {
  if (!accept || accept.trim() === '') return { form: 'json', contentType: JSON_TYPE };
  const ranges = accept
    .split(',')
    .map((part, index) => {
      const [type = '', ...params] = part.split(';').map((s) => s.trim().toLowerCase());
      const qParam = params.find((p) => p.startsWith('q='));
      const q = qParam === undefined ? 1 : Number(qParam.slice(2));
      return { type, q: Number.isFinite(q) ? q : 0, index };
    })
    .filter((r) => r.q > 0)
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { type } of ranges) {
    if (type === '*/*' || type === 'application/*' || type === JSON_TYPE) {
      return { form: 'json', contentType: JSON_TYPE };
    }
    if (type === OPENAPI_V2_PROTOBUF || type === OPENAPI_V2_PROTOBUF_CONTENT_TYPE) {
      return { form: 'protobuf', contentType: OPENAPI_V2_PROTOBUF_CONTENT_TYPE };
    }
  }
  return undefined;
}

/** Whether an If-None-Match header names `etag` (quoted), weakly compared, or is `*`. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch
    .split(',')
    .map((t) => t.trim().replace(/^W\//, ''))
    .some((t) => t === '*' || t === etag);
}

/**
 * Serves GET /openapi/v2. The document is built on the first request and kept only as the
 * serialized bytes of the forms asked for (each one built on its first request), with one ETag
 * for both: the SHA-512 of the JSON, as upstream. A client that sends the ETag back in
 * If-None-Match gets 304 without a body; kubectl's HTTP cache does exactly that.
 */
export class OpenApiV2Handler {
  private etag: string | undefined;
  private json: Buffer | undefined;
  private protobuf: Buffer | undefined;

  constructor(private readonly resources: readonly ResourceDef[]) {}

  serve(req: ApiRequest, res: ApiResponse): void {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      throw methodNotAllowed(`${req.method} is not supported on /openapi/v2`);
    }
    const accepted = negotiateOpenApiV2(req.headers.accept);
    if (!accepted) {
      throw notAcceptable(
        `only the following media types are accepted: ${JSON_TYPE}, ${OPENAPI_V2_PROTOBUF}, ${OPENAPI_V2_PROTOBUF_CONTENT_TYPE}`,
      );
    }
    const { body, etag } = this.bytes(accepted.form);
    const headers: Record<string, string | number> = {
      ETag: etag,
      Vary: 'Accept',
      'Cache-Control': 'no-cache, private',
    };
    if (etagMatches(req.headers['if-none-match'], etag)) {
      writeHead(res, 304, headers);
      res.end();
      return;
    }
    writeHead(res, 200, { ...headers, 'Content-Type': accepted.contentType, 'Content-Length': body.length });
    if (req.method === 'HEAD') res.end();
    else res.end(body);
  }

  /** The serialized form and the shared ETag, building what is missing. */
  bytes(form: OpenApiV2Form['form']): { body: Buffer; etag: string } {
    if (form === 'json' ? !this.json : !this.protobuf) {
      const doc = buildV2(this.resources);
      if (!this.etag || form === 'json') {
        const json = Buffer.from(JSON.stringify(doc));
        this.etag = `"${createHash('sha512').update(json).digest('hex').toUpperCase()}"`;
        if (form === 'json') this.json = json;
      }
      if (form === 'protobuf') {
        this.protobuf = encodeV2Protobuf(doc);
      }
    }
    return { body: (form === 'json' ? this.json : this.protobuf)!, etag: this.etag! };
  }
}
