export { type Authenticator, UnionAuthenticator } from './authenticator.js';
export { StaticTokenFile } from './static-token-file.js';
export { bearerToken, TokenAuthenticator, type TokenValidator } from './token-authenticator.js';
export {
  ANONYMOUS_USER,
  SYSTEM_AUTHENTICATED,
  SYSTEM_MASTERS,
  SYSTEM_UNAUTHENTICATED,
  type UserInfo,
} from './user-info.js';
export { X509Authenticator } from './x509-authenticator.js';
