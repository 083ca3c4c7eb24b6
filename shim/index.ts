export {
  type CriCallOptions,
  CriConnection,
  type CriConnectionOptions,
  DEFAULT_CRI_ENDPOINT,
  normalizeEndpoint,
} from './connection.js';
export { CriClient } from './cri-client.js';
export {
  CRI_ERROR_CODES,
  CriError,
  type CriErrorCode,
  isCriAlreadyExists,
  isCriCanceled,
  isCriDeadline,
  isCriFailedPrecondition,
  isCriInvalid,
  isCriNotFound,
  isCriUnavailable,
  isCriUnimplemented,
  isCriUnknown,
  toCriError,
} from './errors.js';
export { ImageServiceClient, withServerAddressScheme } from './image-service.js';
export { criProtoPath } from './proto.js';
export { KUBE_RUNTIME_API_VERSION, RuntimeServiceClient } from './runtime-service.js';
export type * from './types.js';
