import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Status } from 'kubernetes-types/meta/v1.js';
import { badRequest, internalError, StatusError } from '../../api/errors.js';
import { CriError } from '../../shim/index.js';

/** A runtime failure as the Status a client is shown. */
export function statusOfCriError(e: unknown): StatusError {
  if (e instanceof StatusError) return e;
  if (e instanceof CriError) {
    if (e.code === 'SKIFF_CRI_NOT_FOUND') return new StatusError(404, 'NotFound', e.runtimeMessage);
    if (e.code === 'SKIFF_CRI_INVALID') return badRequest(e.runtimeMessage);
    return internalError(e.runtimeMessage);
  }
  return internalError(e instanceof Error ? e.message : String(e));
}

/** The refusal of a CRI stream server (non-101 answer to an upgrade), with its body as message. */
export async function statusOfRefusal(res: IncomingMessage): Promise<StatusError> {
  const chunks: Buffer[] = [];
  for await (const c of res) chunks.push(c as Buffer);
  const text = Buffer.concat(chunks).toString('utf8').trim();
  const code = res.statusCode ?? 502;
  const message = `container runtime refused the stream (${code}): ${text || res.statusMessage || ''}`.trim();
  return new StatusError(
    code >= 400 && code < 600 ? code : 502,
    code === 400 ? 'BadRequest' : 'InternalError',
    message,
  );
}

/** Answers a not-yet-upgraded connection with a Status and closes it. */
export function refuseUpgrade(socket: Duplex, err: StatusError): void {
  if (socket.destroyed) return;
  const body = JSON.stringify(err.toStatus() satisfies Status);
  socket.end(
    `HTTP/1.1 ${err.code} ${err.reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
