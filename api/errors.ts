import type { Status, StatusCause } from 'kubernetes-types/meta/v1.js';

/** Base of skiff's non-API errors: callers branch on `code`, never on message text. */
export class SkiffError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SkiffError';
  }
}

export type StatusReason =
  | 'BadRequest'
  | 'Unauthorized'
  | 'Forbidden'
  | 'NotFound'
  | 'AlreadyExists'
  | 'Conflict'
  | 'Gone'
  | 'Expired'
  | 'Invalid'
  | 'MethodNotAllowed'
  | 'NotAcceptable'
  | 'RequestEntityTooLarge'
  | 'UnsupportedMediaType'
  | 'TooManyRequests'
  | 'InternalError'
  | 'ServiceUnavailable'
  | 'Timeout';

export interface StatusDetails {
  name?: string;
  group?: string;
  kind?: string;
  causes?: StatusCause[];
  retryAfterSeconds?: number;
}

/** An API error that becomes a metav1.Status with an HTTP code. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: StatusReason,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message);
    this.name = 'StatusError';
  }

  toStatus(): Status {
    const status: Status = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      code: this.code,
    };
    if (this.details) status.details = this.details;
    return status;
  }
}

/** Identifies a resource in messages: `pods`, `deployments.apps`. */
export interface QualifiedResource {
  group: string;
  resource: string;
}

export function qualifiedName(qr: QualifiedResource): string {
  return qr.group ? `${qr.resource}.${qr.group}` : qr.resource;
}

export function notFound(qr: QualifiedResource, name: string): StatusError {
  return new StatusError(404, 'NotFound', `${qualifiedName(qr)} "${name}" not found`, {
    name,
    group: qr.group || undefined,
    kind: qr.resource,
  });
}

export function alreadyExists(qr: QualifiedResource, name: string): StatusError {
  return new StatusError(409, 'AlreadyExists', `${qualifiedName(qr)} "${name}" already exists`, {
    name,
    group: qr.group || undefined,
    kind: qr.resource,
  });
}

export function conflict(qr: QualifiedResource, name: string, why: string): StatusError {
  return new StatusError(
    409,
    'Conflict',
    `Operation cannot be fulfilled on ${qualifiedName(qr)} "${name}": ${why}`,
    { name, group: qr.group || undefined, kind: qr.resource },
  );
}

export interface FieldError {
  field: string;
  /** FieldValueInvalid, FieldValueRequired, FieldValueNotSupported, FieldValueDuplicate, FieldValueForbidden, FieldValueTooLong */
  type: string;
  message: string;
}

/** 422 Invalid: `Deployment.apps "x" is invalid: spec.selector: Required value`. */
export function invalid(group: string, kind: string, name: string, errors: FieldError[]): StatusError {
  const qualifiedKind = group ? `${kind}.${group}` : kind;
  const summary = errors.map((e) => `${e.field}: ${e.message}`);
  const joined = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
  return new StatusError(422, 'Invalid', `${qualifiedKind} "${name}" is invalid: ${joined}`, {
    name,
    group: group || undefined,
    kind,
    causes: errors.map((e) => ({ reason: e.type, message: e.message, field: e.field })),
  });
}

export function badRequest(message: string): StatusError {
  return new StatusError(400, 'BadRequest', message);
}

export function methodNotAllowed(message: string): StatusError {
  return new StatusError(405, 'MethodNotAllowed', message);
}

export function unsupportedMediaType(contentType: string): StatusError {
  return new StatusError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format: ${contentType}`,
  );
}

export function notAcceptable(message: string): StatusError {
  return new StatusError(406, 'NotAcceptable', message);
}

export function tooLarge(limitBytes: number): StatusError {
  return new StatusError(
    413,
    'RequestEntityTooLarge',
    `the request body exceeds the limit of ${limitBytes} bytes`,
  );
}

export function gone(message: string): StatusError {
  return new StatusError(410, 'Expired', message);
}

export function unauthorized(): StatusError {
  return new StatusError(401, 'Unauthorized', 'Unauthorized');
}

export function forbidden(message: string): StatusError {
  return new StatusError(403, 'Forbidden', message);
}

export function internalError(message: string): StatusError {
  return new StatusError(500, 'InternalError', `Internal error occurred: ${message}`);
}

export function serviceUnavailable(message: string): StatusError {
  return new StatusError(503, 'ServiceUnavailable', message, { retryAfterSeconds: 1 });
}

export function isStatusError(e: unknown, reason?: StatusReason): e is StatusError {
  return e instanceof StatusError && (reason === undefined || e.reason === reason);
}
