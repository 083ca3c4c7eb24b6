import type { ApiRequest } from '../http-exchange.js';
import { SYSTEM_AUTHENTICATED, type UserInfo } from './user-info.js';

/**
 * Finds who sent a request. `undefined` means this authenticator found no credentials it accepts;
 * a thrown error means it could not decide (e.g. a backing store failed).
 */
export interface Authenticator {
  authenticate(req: ApiRequest): Promise<UserInfo | undefined>;
}

/**
 * Asks each authenticator in order; the first user found wins and is put in system:authenticated.
 * Errors do not stop the search, since a later method may still accept the request; they are
 * reported only when no method accepted it.
 */
export class UnionAuthenticator implements Authenticator {
  private readonly authenticators: readonly Authenticator[];

  constructor(authenticators: readonly Authenticator[]) {
    this.authenticators = [...authenticators];
  }

  async authenticate(req: ApiRequest): Promise<UserInfo | undefined> {
    const errors: unknown[] = [];
    for (const authenticator of this.authenticators) {
      let user: UserInfo | undefined;
      try {
        user = await authenticator.authenticate(req);
      } catch (e) {
        errors.push(e);
        continue;
      }
      if (user) return withAuthenticatedGroup(user);
    }
    if (errors.length === 1) throw errors[0];
    if (errors.length > 1) throw new AggregateError(errors, 'all authenticators failed');
    return undefined;
  }
}

function withAuthenticatedGroup(user: UserInfo): UserInfo {
  if (user.groups.includes(SYSTEM_AUTHENTICATED)) return user;
  return { ...user, groups: [...user.groups, SYSTEM_AUTHENTICATED] };
}
