import { type ServiceError, status } from '@grpc/grpc-js';
import { SkiffError } from '../api/errors.js';

/**
 * The closed set of runtime error kinds (after containerd's errdefs). gRPC status codes
 * are turned into these here and nowhere else: callers above shim/ test kinds with the
 * `isCri*` helpers and never see gRPC codes.
 */
export const CRI_ERROR_CODES = [
  'SKIFF_CRI_NOT_FOUND',
  'SKIFF_CRI_ALREADY_EXISTS',
  'SKIFF_CRI_UNAVAILABLE',
  'SKIFF_CRI_DEADLINE',
  'SKIFF_CRI_INVALID',
  'SKIFF_CRI_FAILED_PRECONDITION',
  'SKIFF_CRI_UNIMPLEMENTED',
  'SKIFF_CRI_CANCELED',
  'SKIFF_CRI_UNKNOWN',
] as const;
export type CriErrorCode = (typeof CRI_ERROR_CODES)[number];

/** A failed CRI call: `runtimeMessage` is the runtime's own text (worth showing users). */
export class CriError extends SkiffError {
  constructor(
    override readonly code: CriErrorCode,
    /** `RuntimeService/CreateContainer` etc. */
    readonly method: string,
    readonly runtimeMessage: string,
    options?: { cause?: unknown },
  ) {
    super(code, `CRI ${method}: ${runtimeMessage}`, options);
    this.name = 'CriError';
  }
}

const BY_STATUS: Partial<Record<status, CriErrorCode>> = {
  [status.NOT_FOUND]: 'SKIFF_CRI_NOT_FOUND',
  [status.ALREADY_EXISTS]: 'SKIFF_CRI_ALREADY_EXISTS',
  [status.UNAVAILABLE]: 'SKIFF_CRI_UNAVAILABLE',
  [status.DEADLINE_EXCEEDED]: 'SKIFF_CRI_DEADLINE',
  [status.INVALID_ARGUMENT]: 'SKIFF_CRI_INVALID',
  [status.OUT_OF_RANGE]: 'SKIFF_CRI_INVALID',
  [status.FAILED_PRECONDITION]: 'SKIFF_CRI_FAILED_PRECONDITION',
  [status.UNIMPLEMENTED]: 'SKIFF_CRI_UNIMPLEMENTED',
  [status.CANCELLED]: 'SKIFF_CRI_CANCELED',
};

function isServiceError(e: unknown): e is ServiceError {
  return e instanceof Error && typeof (e as Partial<ServiceError>).code === 'number';
}

/** Turns whatever a gRPC call rejected with into a CriError. */
export function toCriError(method: string, e: unknown): CriError {
  if (e instanceof CriError) return e;
  if (isServiceError(e)) {
    const code = BY_STATUS[e.code as status] ?? 'SKIFF_CRI_UNKNOWN';
    return new CriError(code, method, e.details || e.message, { cause: e });
  }
  return new CriError('SKIFF_CRI_UNKNOWN', method, e instanceof Error ? e.message : String(e), { cause: e });
}

const is =
  (code: CriErrorCode) =>
  (e: unknown): e is CriError =>
    e instanceof CriError && e.code === code;

export const isCriNotFound = is('SKIFF_CRI_NOT_FOUND');
export const isCriAlreadyExists = is('SKIFF_CRI_ALREADY_EXISTS');
export const isCriUnavailable = is('SKIFF_CRI_UNAVAILABLE');
export const isCriDeadline = is('SKIFF_CRI_DEADLINE');
export const isCriInvalid = is('SKIFF_CRI_INVALID');
export const isCriFailedPrecondition = is('SKIFF_CRI_FAILED_PRECONDITION');
export const isCriUnimplemented = is('SKIFF_CRI_UNIMPLEMENTED');
export const isCriCanceled = is('SKIFF_CRI_CANCELED');
export const isCriUnknown = is('SKIFF_CRI_UNKNOWN');
