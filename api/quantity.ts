import { SkiffError } from './errors.js';

/** How a quantity prints, taken from the suffix it was written with. */
export type QuantityFormat = 'BinarySI' | 'DecimalSI' | 'DecimalExponent';

export const QUANTITY_FORMAT_WRONG =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
export const QUANTITY_SUFFIX_WRONG = "unable to parse quantity's suffix";
export const QUANTITY_NUMERIC_WRONG = 'unable to parse numeric part of quantity';

/** Thrown for text that is not a resource.Quantity; validation turns it into a field error. */
export class QuantityError extends SkiffError {
  constructor(message: string) {
    super('SKIFF_INVALID_QUANTITY', message);
    this.name = 'QuantityError';
  }
}

const NANO = 1_000_000_000n;

const DECIMAL_SUFFIXES: Record<string, number> = {
  n: -9,
  u: -6,
  m: -3,
  '': 0,
  k: 3,
  M: 6,
  G: 9,
  T: 12,
  P: 15,
  E: 18,
};
const BINARY_SUFFIXES: Record<string, number> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };
const DECIMAL_BY_EXPONENT = new Map(Object.entries(DECIMAL_SUFFIXES).map(([s, e]) => [e, s]));
const BINARY_BY_EXPONENT = new Map(Object.entries(BINARY_SUFFIXES).map(([s, e]) => [e, s]));

function absBig(v: bigint): bigint {
  return v < 0n ? -v : v;
}

/** a / b rounded away from zero, as upstream's RoundUp. */
function divAwayFromZero(a: bigint, b: bigint): bigint {
  const q = a / b;
  if (a % b === 0n) return q;
  return a < 0n !== b < 0n ? q - 1n : q + 1n;
}

/**
 * resource.Quantity: an exact decimal kept as an integer count of nano-units (upstream rounds
 * parsed values up to nano precision), printed in the canonical form of its format.
 */
export class Quantity {
  constructor(
    /** The value times 10^9. */
    readonly nanos: bigint,
    readonly format: QuantityFormat = 'DecimalSI',
  ) {}

  static fromMilli(milli: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(milli) * 1_000_000n, format);
  }

  static fromValue(value: number | bigint, format: QuantityFormat = 'DecimalSI'): Quantity {
    return new Quantity(BigInt(value) * NANO, format);
  }

  isZero(): boolean {
    return this.nanos === 0n;
  }

  sign(): -1 | 0 | 1 {
    return this.nanos < 0n ? -1 : this.nanos > 0n ? 1 : 0;
  }

  cmp(other: Quantity): -1 | 0 | 1 {
    return this.nanos < other.nanos ? -1 : this.nanos > other.nanos ? 1 : 0;
  }

  equals(other: Quantity): boolean {
    return this.nanos === other.nanos;
  }

  /** The sum, in this quantity's format (the other's when this one is zero, as upstream). */
  add(other: Quantity): Quantity {
    return new Quantity(this.nanos + other.nanos, this.isZero() ? other.format : this.format);
  }

  sub(other: Quantity): Quantity {
    return new Quantity(this.nanos - other.nanos, this.isZero() ? other.format : this.format);
  }

  neg(): Quantity {
    return new Quantity(-this.nanos, this.format);
  }

  /** The value in whole units, rounded away from zero (upstream's Value()). */
  value(): number {
    return Number(divAwayFromZero(this.nanos, NANO));
  }

  /** The value in milli-units, rounded away from zero (upstream's MilliValue()). */
  milliValue(): number {
    return Number(divAwayFromZero(this.nanos, 1_000_000n));
  }

  /** Same as milliValue(): CPU in millicores. */
  toMilli(): number {
    return this.milliValue();
  }

  toString(): string {
    return canonical(this);
  }

  toJSON(): string {
    return canonical(this);
  }
}

function canonical(q: Quantity): string {
  if (q.nanos === 0n) return '0';
  const sign = q.nanos < 0n ? '-' : '';
  const abs = absBig(q.nanos);
  let format = q.format;
  if (format === 'BinarySI') {
    // Small values and values with a fraction print in decimal, as upstream does.
    if (abs < 1024n * NANO || abs % NANO !== 0n) format = 'DecimalSI';
  }
  if (format === 'BinarySI') {
    let mantissa = abs / NANO;
    let exponent = 0;
    while (exponent < 60 && mantissa % 1024n === 0n) {
      mantissa /= 1024n;
      exponent += 10;
    }
    return `${sign}${mantissa}${BINARY_BY_EXPONENT.get(exponent) ?? ''}`;
  }
  // Decimal: strip trailing zeros, then settle on an exponent that is a multiple of 3.
  let mantissa = abs;
  let exponent = -9;
  while (mantissa % 10n === 0n) {
    mantissa /= 10n;
    exponent++;
  }
  const over = ((exponent % 3) + 3) % 3;
  mantissa *= 10n ** BigInt(over);
  exponent -= over;
  if (format === 'DecimalExponent') return `${sign}${mantissa}${exponent === 0 ? '' : `e${exponent}`}`;
  const suffix = DECIMAL_BY_EXPONENT.get(exponent);
  return suffix === undefined ? `${sign}${mantissa}e${exponent}` : `${sign}${mantissa}${suffix}`;
}

const SUFFIX_CHARS = 'eEinumkKMGTP';

function isDigit(c: string | undefined): boolean {
  return c !== undefined && c >= '0' && c <= '9';
}

/** Splits into sign, integer digits, fraction digits and suffix, as upstream's parseQuantityString. */
function split(s: string): { negative: boolean; whole: string; fraction: string; suffix: string } {
  let pos = 0;
  let negative = false;
  if (s[0] === '-' || s[0] === '+') {
    negative = s[0] === '-';
    pos++;
  }
  let start = pos;
  while (isDigit(s[pos])) pos++;
  const whole = s.slice(start, pos);
  let fraction = '';
  if (s[pos] === '.') {
    pos++;
    start = pos;
    while (isDigit(s[pos])) pos++;
    fraction = s.slice(start, pos);
  }
  const suffixStart = pos;
  while (pos < s.length && SUFFIX_CHARS.includes(s[pos])) pos++;
  if (s[pos] === '-' || s[pos] === '+') pos++;
  while (isDigit(s[pos])) pos++;
  if (pos < s.length) throw new QuantityError(QUANTITY_FORMAT_WRONG);
  return { negative, whole, fraction, suffix: s.slice(suffixStart) };
}

function interpretSuffix(suffix: string): { base: 2 | 10; exponent: number; format: QuantityFormat } {
  if (Object.hasOwn(DECIMAL_SUFFIXES, suffix)) {
    return { base: 10, exponent: DECIMAL_SUFFIXES[suffix], format: 'DecimalSI' };
  }
  if (Object.hasOwn(BINARY_SUFFIXES, suffix)) {
    return { base: 2, exponent: BINARY_SUFFIXES[suffix], format: 'BinarySI' };
  }
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1));
    if (Number.isSafeInteger(exponent) && Math.abs(exponent) <= 1000) {
      return { base: 10, exponent, format: 'DecimalExponent' };
    }
  }
  throw new QuantityError(QUANTITY_SUFFIX_WRONG);
}

/**
 * Parses `100m`, `1Gi`, `0.5`, `1e3`, `-2k` exactly; precision beyond nano rounds away from zero.
 * A JSON number is accepted as its decimal text. Invalid input throws a QuantityError.
 */
export function parseQuantity(input: string | number): Quantity {
  const s = typeof input === 'number' ? numberText(input) : input;
  if (s.length === 0) throw new QuantityError(QUANTITY_FORMAT_WRONG);
  const { negative, whole, fraction, suffix } = split(s);
  const { base, exponent, format } = interpretSuffix(suffix);
  if (whole === '' && fraction === '') throw new QuantityError(QUANTITY_NUMERIC_WRONG);
  // value = digits * 10^-fraction.length * base^exponent, expressed in nanos.
  const digits = BigInt(`${whole}${fraction}` || '0');
  let numerator = digits * NANO;
  let denominator = 10n ** BigInt(fraction.length);
  if (base === 2) numerator *= 2n ** BigInt(exponent);
  else if (exponent >= 0) numerator *= 10n ** BigInt(exponent);
  else denominator *= 10n ** BigInt(-exponent);
  const nanos = divAwayFromZero(numerator, denominator);
  return new Quantity(negative ? -nanos : nanos, format);
}

function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new QuantityError(QUANTITY_FORMAT_WRONG);
  // Number#toString may use exponent notation (1e+21, 1e-7), which the suffix grammar reads.
  return String(n).replace('e+', 'e');
}

/** parseQuantity that returns undefined instead of throwing. */
export function tryParseQuantity(input: string | number | undefined | null): Quantity | undefined {
  if (input === undefined || input === null) return undefined;
  try {
    return parseQuantity(input);
  } catch {
    return undefined;
  }
}

export function compare(a: Quantity, b: Quantity): -1 | 0 | 1 {
  return a.cmp(b);
}

export function add(a: Quantity, b: Quantity): Quantity {
  return a.add(b);
}

/** The canonical string of a quantity text (`0.5` -> `500m`, `1024Mi` -> `1Gi`). */
export function canonicalQuantity(input: string | number): string {
  return parseQuantity(input).toString();
}
