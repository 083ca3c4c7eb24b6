import type { ApiRequest } from '../http-exchange.js';
import type { Authenticator } from './authenticator.js';
import type { UserInfo } from './user-info.js';

/** Maps a bearer token to its user; `undefined` when the token is unknown or invalid. */
export interface TokenValidator {
  validate(token: string): Promise<UserInfo | undefined>;
}

/** Authenticates `Authorization: Bearer <token>` through a TokenValidator. */
export class TokenAuthenticator implements Authenticator {
  constructor(private readonly validator: TokenValidator) {}

  async authenticate(req: ApiRequest): Promise<UserInfo | undefined> {
    const token = bearerToken(req.headers.authorization);
    if (token === undefined) return undefined;
    return this.validator.validate(token);
  }
}

/** The token of an `Authorization: Bearer <token>` header; the scheme is case-insensitive. */
export function bearerToken(header: string | undefined): string | undefined {
  if (!header) return undefined;
  const parts = header.trim().split(/\s+/);
  if (parts.length !== 2 || parts[0].toLowerCase() !== 'bearer' || parts[1] === '') return undefined;
  return parts[1];
}
