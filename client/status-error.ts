import type { Status } from 'kubernetes-types/meta/v1.js';
import { type StatusDetails, StatusError, type StatusReason } from '../api/errors.js';

const REASON_BY_CODE: Record<number, StatusReason> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  413: 'RequestEntityTooLarge',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

function isStatus(body: unknown): body is Status {
  return typeof body === 'object' && body !== null && (body as { kind?: unknown }).kind === 'Status';
}

/** Turns an error answer (a metav1.Status body, or anything else) into a `StatusError`. */
export function statusErrorFrom(httpCode: number, body: unknown): StatusError {
  if (isStatus(body)) {
    const code = body.code ?? httpCode;
    const reason = (body.reason || REASON_BY_CODE[code] || 'InternalError') as StatusReason;
    return new StatusError(
      code,
      reason,
      body.message ?? `the server responded with ${code}`,
      body.details as StatusDetails | undefined,
    );
  }
  const reason = REASON_BY_CODE[httpCode] ?? 'InternalError';
  const text = typeof body === 'string' ? body.trim() : '';
  return new StatusError(httpCode, reason, text || `the server responded with ${httpCode}`);
}
