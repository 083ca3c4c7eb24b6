import { describe, expect, it } from 'vitest';
import {
  add,
  canonicalQuantity,
  compare,
  parseQuantity,
  QUANTITY_FORMAT_WRONG,
  QUANTITY_SUFFIX_WRONG,
  Quantity,
  QuantityError,
} from '../../../api/quantity.js';

describe('parseQuantity', () => {
  it('reads binary and decimal suffixes exactly', () => {
    expect(parseQuantity('1Gi').value()).toBe(1073741824);
    expect(parseQuantity('1Ki').value()).toBe(1024);
    expect(parseQuantity('2Mi').value()).toBe(2 * 1024 * 1024);
    expect(parseQuantity('1Ei').nanos).toBe(2n ** 60n * 1_000_000_000n);
    expect(parseQuantity('1k').value()).toBe(1000);
    expect(parseQuantity('1M').value()).toBe(1_000_000);
    expect(parseQuantity('3G').value()).toBe(3_000_000_000);
    expect(parseQuantity('100m').milliValue()).toBe(100);
    expect(parseQuantity('5u').nanos).toBe(5000n);
    expect(parseQuantity('7n').nanos).toBe(7n);
  });

  it('reads exponents with e and E', () => {
    expect(parseQuantity('1e3').value()).toBe(1000);
    expect(parseQuantity('1E3').value()).toBe(1000);
    expect(parseQuantity('5e-3').milliValue()).toBe(5);
  });

  it('reads signs and fractions', () => {
    expect(parseQuantity('0.1').milliValue()).toBe(100);
    expect(parseQuantity('.5').milliValue()).toBe(500);
    expect(parseQuantity('-1.5').milliValue()).toBe(-1500);
    expect(parseQuantity('+2').value()).toBe(2);
    expect(parseQuantity('1.5Gi').value()).toBe(1610612736);
  });

  it('accepts JSON numbers', () => {
    expect(parseQuantity(2).value()).toBe(2);
    expect(parseQuantity(0.25).milliValue()).toBe(250);
  });

  it('rounds precision beyond nano away from zero', () => {
    expect(parseQuantity('0.0000000001').nanos).toBe(1n);
    expect(parseQuantity('-0.0000000001').nanos).toBe(-1n);
  });

  it('rejects malformed text with upstream messages', () => {
    for (const bad of ['', 'abc', '1.2.3', '1 Gi', ' 1', '1Gi ', '--1']) {
      expect(() => parseQuantity(bad), bad).toThrow(QuantityError);
    }
    expect(() => parseQuantity('')).toThrow(QUANTITY_FORMAT_WRONG);
    expect(() => parseQuantity('1Q')).toThrow(QUANTITY_FORMAT_WRONG);
    expect(() => parseQuantity('1K')).toThrow(QUANTITY_SUFFIX_WRONG);
    expect(() => parseQuantity('1Gii')).toThrow(QUANTITY_SUFFIX_WRONG);
    expect(() => parseQuantity('.')).toThrow(QuantityError);
  });

  it('carries a stable error code', () => {
    try {
      parseQuantity('x');
      expect.unreachable();
    } catch (e) {
      expect((e as QuantityError).code).toBe('SKIFF_INVALID_QUANTITY');
    }
  });
});

describe('canonical strings', () => {
  it.each([
    ['100m', '100m'],
    ['0.5', '500m'],
    ['0.1', '100m'],
    ['1Gi', '1Gi'],
    ['1024Mi', '1Gi'],
    ['1000Mi', '1000Mi'],
    ['1.5Gi', '1536Mi'],
    ['0.5Ki', '512'],
    ['1000', '1k'],
    ['1500', '1500'],
    ['2000m', '2'],
    ['1e3', '1e3'],
    ['1E3', '1e3'],
    ['1.5e3', '1500'],
    ['0', '0'],
    ['0Gi', '0'],
    ['-500m', '-500m'],
    ['12345678n', '12345678n'],
    ['1.000', '1'],
    ['128974848', '128974848'],
    ['129e6', '129e6'],
    ['129M', '129M'],
  ])('%s prints as %s', (input, expected) => {
    expect(canonicalQuantity(input)).toBe(expected);
  });

  it('serializes as its canonical string in JSON', () => {
    expect(JSON.stringify({ cpu: parseQuantity('0.25') })).toBe('{"cpu":"250m"}');
  });
});

describe('arithmetic and comparison', () => {
  it('orders quantities across suffixes', () => {
    expect(compare(parseQuantity('100m'), parseQuantity('1'))).toBe(-1);
    expect(compare(parseQuantity('0.1'), parseQuantity('100m'))).toBe(0);
    expect(compare(parseQuantity('1Gi'), parseQuantity('1G'))).toBe(1);
    expect(parseQuantity('1Gi').equals(parseQuantity('1073741824'))).toBe(true);
  });

  it('adds exactly without floating point drift', () => {
    const sum = add(parseQuantity('0.1'), parseQuantity('0.2'));
    expect(sum.milliValue()).toBe(300);
    expect(sum.toString()).toBe('300m');
    expect(add(parseQuantity('512Mi'), parseQuantity('512Mi')).toString()).toBe('1Gi');
  });

  it('keeps the format of the first non-zero operand', () => {
    expect(add(new Quantity(0n), parseQuantity('1Mi')).toString()).toBe('1Mi');
    expect(parseQuantity('1Mi').sub(parseQuantity('1Mi')).isZero()).toBe(true);
  });

  it('rounds value() and milliValue() away from zero', () => {
    expect(parseQuantity('100m').value()).toBe(1);
    expect(parseQuantity('1.0001').value()).toBe(2);
    expect(parseQuantity('1n').milliValue()).toBe(1);
    expect(parseQuantity('250m').toMilli()).toBe(250);
  });

  it('builds from milli-units and whole units', () => {
    expect(Quantity.fromMilli(1500).toString()).toBe('1500m');
    expect(Quantity.fromValue(2048, 'BinarySI').toString()).toBe('2Ki');
  });
});
