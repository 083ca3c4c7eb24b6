import { Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { describe, expect, it } from 'vitest';
import { SkiffError } from '../../../api/errors.js';
import {
  CriError,
  isCriAlreadyExists,
  isCriDeadline,
  isCriFailedPrecondition,
  isCriInvalid,
  isCriNotFound,
  isCriUnavailable,
  isCriUnimplemented,
  isCriUnknown,
  toCriError,
} from '../../../shim/errors.js';

function grpcError(code: status, details: string): ServiceError {
  return Object.assign(new Error(`${code} ${status[code]}: ${details}`), {
    code,
    details,
    metadata: new Metadata(),
  });
}

describe('toCriError', () => {
  it.each([
    [status.NOT_FOUND, 'SKIFF_CRI_NOT_FOUND', isCriNotFound],
    [status.ALREADY_EXISTS, 'SKIFF_CRI_ALREADY_EXISTS', isCriAlreadyExists],
    [status.UNAVAILABLE, 'SKIFF_CRI_UNAVAILABLE', isCriUnavailable],
    [status.DEADLINE_EXCEEDED, 'SKIFF_CRI_DEADLINE', isCriDeadline],
    [status.INVALID_ARGUMENT, 'SKIFF_CRI_INVALID', isCriInvalid],
    [status.OUT_OF_RANGE, 'SKIFF_CRI_INVALID', isCriInvalid],
    [status.FAILED_PRECONDITION, 'SKIFF_CRI_FAILED_PRECONDITION', isCriFailedPrecondition],
    [status.UNIMPLEMENTED, 'SKIFF_CRI_UNIMPLEMENTED', isCriUnimplemented],
    [status.UNKNOWN, 'SKIFF_CRI_UNKNOWN', isCriUnknown],
    [status.INTERNAL, 'SKIFF_CRI_UNKNOWN', isCriUnknown],
  ] as const)('maps gRPC %s to %s', (code, kind, isKind) => {
    const e = toCriError('RuntimeService/StartContainer', grpcError(code, 'the runtime says no'));
    expect(e).toBeInstanceOf(CriError);
    expect(e).toBeInstanceOf(SkiffError);
    expect(e.code).toBe(kind);
    expect(isKind(e)).toBe(true);
    expect(e.runtimeMessage).toBe('the runtime says no');
    expect(e.message).toBe('CRI RuntimeService/StartContainer: the runtime says no');
  });

  it('keeps a CriError as is and wraps anything else as unknown', () => {
    const original = new CriError('SKIFF_CRI_NOT_FOUND', 'x', 'gone');
    expect(toCriError('y', original)).toBe(original);
    const other = toCriError('RuntimeService/Version', new TypeError('boom'));
    expect(other.code).toBe('SKIFF_CRI_UNKNOWN');
    expect(other.cause).toBeInstanceOf(TypeError);
  });

  it('helpers reject other kinds and non-CRI errors', () => {
    const e = new CriError('SKIFF_CRI_UNAVAILABLE', 'x', 'down');
    expect(isCriNotFound(e)).toBe(false);
    expect(isCriUnavailable(new SkiffError('SKIFF_CRI_UNAVAILABLE', 'not a CriError'))).toBe(false);
    expect(isCriNotFound(undefined)).toBe(false);
  });
});
