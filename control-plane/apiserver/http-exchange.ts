import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { Http2ServerRequest, Http2ServerResponse } from 'node:http2';

/** A request as the API server receives it: over HTTP/1.1 or as an HTTP/2 stream (compat API). */
export type ApiRequest = IncomingMessage | Http2ServerRequest;
export type ApiResponse = ServerResponse | Http2ServerResponse;

export function isHttp2Request(req: ApiRequest): req is Http2ServerRequest {
  return req instanceof Http2ServerRequest;
}

export function isHttp2Response(res: ApiResponse): res is Http2ServerResponse {
  return res instanceof Http2ServerResponse;
}

/**
 * The object that stands for the client's connection: the TLS socket on HTTP/1.1, the session on
 * HTTP/2 (whose `req.socket` is a proxy made per stream, so it cannot key per-connection state).
 */
export function connectionOf(req: ApiRequest): object {
  return isHttp2Request(req) ? (req.stream.session ?? req.stream) : req.socket;
}

/** The response can take no more body: the client left, the stream was reset or the socket closed. */
export function responseGone(res: ApiResponse): boolean {
  if (isHttp2Response(res)) return res.stream.destroyed || res.stream.closed;
  return res.destroyed;
}

/** Headers HTTP/2 forbids (RFC 9113 8.2.2); node:http2 throws on them, so they are dropped. */
const CONNECTION_HEADERS = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'http2-settings',
]);

/** Response headers for `res`: unchanged on HTTP/1.1, without connection-specific ones on HTTP/2. */
export function headersFor<T extends OutgoingHttpHeaders>(res: ApiResponse, headers: T): T {
  if (!isHttp2Response(res)) return headers;
  const out: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (CONNECTION_HEADERS.has(lower)) continue;
    if (lower === 'te' && String(value).toLowerCase() !== 'trailers') continue;
    out[name] = value;
  }
  return out as T;
}

/** `res.writeHead` for either protocol; connection-specific headers are left out on HTTP/2. */
export function writeHead(res: ApiResponse, code: number, headers: OutgoingHttpHeaders = {}): void {
  if (isHttp2Response(res)) res.writeHead(code, headersFor(res, headers));
  else res.writeHead(code, headers);
}
