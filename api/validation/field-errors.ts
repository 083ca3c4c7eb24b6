import type { FieldError } from '../errors.js';

/**
 * Builders for field errors worded as upstream's field.Error prints them, since kubectl shows
 * these messages verbatim: `Invalid value: "x": detail`, `Required value`, ...
 */

/** Renders a value the way upstream's error bodies do: strings quoted, numbers bare, the rest as JSON. */
export function formatValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === undefined || value === null) return 'null';
  return JSON.stringify(value);
}

/** A Go-like rendering of a string map, as upstream prints label maps: `map[string]string{"a":"b"}`. */
export function formatStringMap(m: Record<string, string> | undefined): string {
  const entries = Object.keys(m ?? {})
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(m?.[k])}`);
  return `map[string]string{${entries.join(', ')}}`;
}

export function required(field: string, detail = ''): FieldError {
  return {
    field,
    type: 'FieldValueRequired',
    message: detail ? `Required value: ${detail}` : 'Required value',
  };
}

export function invalidValue(field: string, value: unknown, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `Invalid value: ${formatValue(value)}: ${detail}` };
}

/** Like invalidValue, with the value already rendered (for Go-style renderings). */
export function invalidRendered(field: string, rendered: string, detail: string): FieldError {
  return { field, type: 'FieldValueInvalid', message: `Invalid value: ${rendered}: ${detail}` };
}

export function notSupported(field: string, value: unknown, supported: readonly string[]): FieldError {
  const list = supported.map((s) => JSON.stringify(s)).join(', ');
  return {
    field,
    type: 'FieldValueNotSupported',
    message: `Unsupported value: ${formatValue(value)}: supported values: ${list}`,
  };
}

export function duplicate(field: string, value: unknown): FieldError {
  return { field, type: 'FieldValueDuplicate', message: `Duplicate value: ${formatValue(value)}` };
}

export function forbidden(field: string, detail: string): FieldError {
  return { field, type: 'FieldValueForbidden', message: `Forbidden: ${detail}` };
}

export function notFoundValue(field: string, value: unknown): FieldError {
  return { field, type: 'FieldValueNotFound', message: `Not found: ${formatValue(value)}` };
}

export function tooLong(field: string, maxBytes: number): FieldError {
  return { field, type: 'FieldValueTooLong', message: `Too long: must have at most ${maxBytes} bytes` };
}

export function tooMany(field: string, actual: number, max: number): FieldError {
  return { field, type: 'FieldValueTooMany', message: `Too many: ${actual}: must have at most ${max} items` };
}

/** `field is immutable` when the JSON renderings differ. */
export function immutable(field: string, next: unknown, old: unknown): FieldError[] {
  return deepEqual(next, old) ? [] : [invalidValue(field, next, 'field is immutable')];
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((v, i) => deepEqual(v, b[i]));
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
  const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
  return ak.length === bk.length && ak.every((k) => deepEqual(ao[k], bo[k]));
}

/** Non-negative integer check used all over the API: `must be greater than or equal to 0`. */
export function nonNegative(field: string, value: number | undefined): FieldError[] {
  return value !== undefined && value < 0
    ? [invalidValue(field, value, 'must be greater than or equal to 0')]
    : [];
}

export function positive(field: string, value: number | undefined): FieldError[] {
  return value !== undefined && value <= 0 ? [invalidValue(field, value, 'must be greater than 0')] : [];
}

/** The byte length of a string as Go counts it (UTF-8). */
export function byteLength(s: string): number {
  return Buffer.byteLength(s, 'utf8');
}
