import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  type Authenticator,
  bearerToken,
  StaticTokenFile,
  SYSTEM_AUTHENTICATED,
  TokenAuthenticator,
  UnionAuthenticator,
  type UserInfo,
} from '../../../../control-plane/apiserver/authn/index.js';

const req = (headers: Record<string, string> = {}) => ({ headers }) as unknown as IncomingMessage;
const fixed = (user: UserInfo | undefined): Authenticator => ({ authenticate: async () => user });
const failing = (message: string): Authenticator => ({
  authenticate: async () => {
    throw new Error(message);
  },
});

describe('UnionAuthenticator', () => {
  it('returns the first user found and adds system:authenticated', async () => {
    const union = new UnionAuthenticator([
      fixed(undefined),
      fixed({ username: 'a', groups: ['g'] }),
      fixed({ username: 'b', groups: [] }),
    ]);
    expect(await union.authenticate(req())).toEqual({ username: 'a', groups: ['g', SYSTEM_AUTHENTICATED] });
  });

  it('does not add system:authenticated twice', async () => {
    const union = new UnionAuthenticator([fixed({ username: 'a', groups: [SYSTEM_AUTHENTICATED] })]);
    expect((await union.authenticate(req()))?.groups).toEqual([SYSTEM_AUTHENTICATED]);
  });

  it('returns undefined when nobody recognises the request', async () => {
    expect(
      await new UnionAuthenticator([fixed(undefined), fixed(undefined)]).authenticate(req()),
    ).toBeUndefined();
    expect(await new UnionAuthenticator([]).authenticate(req())).toBeUndefined();
  });

  it('keeps looking past a failing authenticator and reports failures only if nobody succeeds', async () => {
    const user = { username: 'a', groups: [] };
    expect(await new UnionAuthenticator([failing('boom'), fixed(user)]).authenticate(req())).toMatchObject({
      username: 'a',
    });
    await expect(
      new UnionAuthenticator([failing('boom'), fixed(undefined)]).authenticate(req()),
    ).rejects.toThrow('boom');
    await expect(
      new UnionAuthenticator([failing('a'), failing('b')]).authenticate(req()),
    ).rejects.toBeInstanceOf(AggregateError);
  });
});

describe('bearerToken', () => {
  it('takes the token of a Bearer header, scheme case-insensitive', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer   abc ')).toBe('abc');
    expect(bearerToken('BEARER abc.def-ghi')).toBe('abc.def-ghi');
  });

  it('ignores other schemes and malformed headers', () => {
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken('')).toBeUndefined();
    expect(bearerToken('Basic dXNlcjpwYXNz')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
  });
});

describe('TokenAuthenticator', () => {
  it('authenticates a known bearer token through the validator', async () => {
    const auth = new TokenAuthenticator(StaticTokenFile.parse('s3cret,alice,7,"devs,ops"\n'));
    expect(await auth.authenticate(req({ authorization: 'Bearer s3cret' }))).toEqual({
      username: 'alice',
      uid: '7',
      groups: ['devs', 'ops'],
    });
    expect(await auth.authenticate(req({ authorization: 'Bearer wrong' }))).toBeUndefined();
    expect(await auth.authenticate(req())).toBeUndefined();
  });
});
