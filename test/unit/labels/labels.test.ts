import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import {
  labelSelectorAsString,
  labelSelectorFromObject,
  labelSelectorFromSet,
  parseLabelSelector,
} from '../../../api/labels.js';

function parseError(text: string): StatusError {
  try {
    parseLabelSelector(text);
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be rejected`);
}

describe('parseLabelSelector', () => {
  it('matches equality, inequality, set and existence requirements together', () => {
    const m = parseLabelSelector('a=b,c!=d,e in (x,y),f notin (z),g,!h');
    expect(m.matches({ a: 'b', e: 'x', g: '' })).toBe(true);
    expect(m.matches({ a: 'b', c: 'other', e: 'y', f: 'w', g: '1' })).toBe(true);
    expect(m.matches({ a: 'b', c: 'd', e: 'x', g: '' })).toBe(false);
    expect(m.matches({ a: 'b', e: 'q', g: '' })).toBe(false);
    expect(m.matches({ a: 'b', e: 'x', f: 'z', g: '' })).toBe(false);
    expect(m.matches({ a: 'b', e: 'x' })).toBe(false);
    expect(m.matches({ a: 'b', e: 'x', g: '', h: 'here' })).toBe(false);
  });

  it('accepts == and free whitespace', () => {
    const m = parseLabelSelector('  app == web ,  tier in ( fe , be )  ');
    expect(m.matches({ app: 'web', tier: 'be' })).toBe(true);
    expect(m.matches({ app: 'web', tier: 'db' })).toBe(false);
  });

  it('treats the empty selector as matching everything', () => {
    const m = parseLabelSelector('');
    expect(m.empty).toBe(true);
    expect(m.matches(undefined)).toBe(true);
    expect(m.matches({ any: 'thing' })).toBe(true);
  });

  it('lets != and notin match objects without the key, and = not', () => {
    expect(parseLabelSelector('a!=b').matches({})).toBe(true);
    expect(parseLabelSelector('a notin (b)').matches(undefined)).toBe(true);
    expect(parseLabelSelector('a=b').matches(undefined)).toBe(false);
  });

  it('matches an empty value written as a= or in ()', () => {
    expect(parseLabelSelector('a=').matches({ a: '' })).toBe(true);
    expect(parseLabelSelector('a=').matches({ a: 'x' })).toBe(false);
    expect(parseLabelSelector('a in ()').matches({ a: '' })).toBe(true);
  });

  it('reads in/notin as values after an operator', () => {
    expect(parseLabelSelector('a=in').matches({ a: 'in' })).toBe(true);
  });

  it('supports prefixed keys', () => {
    expect(
      parseLabelSelector('kubernetes.io/cluster-service=true').matches({
        'kubernetes.io/cluster-service': 'true',
      }),
    ).toBe(true);
  });

  it('prints requirements sorted by key in upstream form', () => {
    expect(parseLabelSelector('z=1,a in (y,x),!m,k').toString()).toBe('a in (x,y),k,!m,z=1');
  });

  it('compares gt/lt numerically', () => {
    const m = parseLabelSelector('n>5');
    expect(m.matches({ n: '10' })).toBe(true);
    expect(m.matches({ n: '5' })).toBe(false);
    expect(m.matches({ n: 'x' })).toBe(false);
    expect(parseLabelSelector('n<5').matches({ n: '4' })).toBe(true);
  });

  it('rejects a bad key with upstream wording as 400 BadRequest', () => {
    const e = parseError('a b=c');
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toMatch(/^unable to parse requirement: /);
  });

  it('rejects an invalid label key', () => {
    const e = parseError('-bad=x');
    expect(e.message).toBe(
      "unable to parse requirement: <nil>: Invalid value: \"-bad\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
    );
  });

  it('rejects an invalid label value', () => {
    expect(parseError('a=-x-').message).toMatch(
      /^unable to parse requirement: values\[0\]\[a\]: Invalid value: "-x-": a valid label must be/,
    );
  });

  it('rejects a missing parenthesis and a dangling comma', () => {
    expect(parseError('a in x').message).toBe("unable to parse requirement: found 'x', expected: '('");
    expect(parseError('a=b,').message).toBe("found '', expected: identifier after ','");
    expect(parseError('a in (b').message).toMatch(/^unable to parse requirement: found '', expected: /);
    expect(parseError('=a').message).toBe("found '=', expected: !, identifier, or 'end of string'");
  });

  it('rejects !a=b after reading !a', () => {
    expect(parseError('!a=b').message).toBe("found '=', expected: ',' or 'end of string'");
  });
});

describe('labelSelectorFromObject', () => {
  it('matches matchLabels and matchExpressions', () => {
    const m = labelSelectorFromObject({
      matchLabels: { app: 'web' },
      matchExpressions: [
        { key: 'tier', operator: 'In', values: ['fe', 'be'] },
        { key: 'env', operator: 'NotIn', values: ['prod'] },
        { key: 'owner', operator: 'Exists' },
        { key: 'legacy', operator: 'DoesNotExist' },
      ],
    });
    expect(m.matches({ app: 'web', tier: 'fe', owner: 'me' })).toBe(true);
    expect(m.matches({ app: 'web', tier: 'fe', owner: 'me', env: 'prod' })).toBe(false);
    expect(m.matches({ app: 'web', tier: 'fe' })).toBe(false);
    expect(m.matches({ app: 'web', tier: 'fe', owner: 'me', legacy: '1' })).toBe(false);
    expect(m.matches({ app: 'db', tier: 'fe', owner: 'me' })).toBe(false);
  });

  it('makes an empty selector match everything and a missing one nothing', () => {
    expect(labelSelectorFromObject({}).matches({ a: 'b' })).toBe(true);
    expect(labelSelectorFromObject({}).empty).toBe(true);
    expect(labelSelectorFromObject(undefined).matches({ a: 'b' })).toBe(false);
  });

  it('rejects an unknown operator', () => {
    expect(() => labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'Near' }] })).toThrow(
      '"Near" is not a valid label selector operator',
    );
  });

  it('rejects In without values', () => {
    expect(() =>
      labelSelectorFromObject({ matchExpressions: [{ key: 'a', operator: 'In', values: [] }] }),
    ).toThrow(/values set can't be empty/);
  });

  it('renders the status.selector string', () => {
    expect(
      labelSelectorAsString({
        matchLabels: { app: 'web', 'pod-template-hash': 'abc' },
        matchExpressions: [{ key: 'tier', operator: 'In', values: ['be', 'fe'] }],
      }),
    ).toBe('app=web,pod-template-hash=abc,tier in (be,fe)');
    expect(labelSelectorAsString(undefined)).toBe('');
  });

  it('round-trips its string through parseLabelSelector', () => {
    const text = labelSelectorAsString({
      matchLabels: { a: 'b' },
      matchExpressions: [{ key: 'c', operator: 'DoesNotExist' }],
    });
    expect(parseLabelSelector(text).matches({ a: 'b' })).toBe(true);
    expect(parseLabelSelector(text).matches({ a: 'b', c: '' })).toBe(false);
  });

  it('builds a selector from a plain map', () => {
    expect(labelSelectorFromSet({ app: 'web' }).matches({ app: 'web', x: 'y' })).toBe(true);
    expect(labelSelectorFromSet({}).matches({})).toBe(true);
  });
});
