/** The identity a request was authenticated as, as kube-apiserver's user.Info carries it. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}

/** Members are allowed everything (the authorizer short-circuits on it). */
export const SYSTEM_MASTERS = 'system:masters';
/** Added to every authenticated user. */
export const SYSTEM_AUTHENTICATED = 'system:authenticated';
/** The group of the anonymous user. */
export const SYSTEM_UNAUTHENTICATED = 'system:unauthenticated';
/** User name given to requests that carry no credentials, when anonymous access is allowed. */
export const ANONYMOUS_USER = 'system:anonymous';
