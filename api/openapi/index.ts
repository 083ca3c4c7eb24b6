export { definitionsPath, loadDefinitions } from './definitions.js';
export { generateDefinitions, INT_OR_STRING, packageOf } from './generate.js';
export {
  FIELD_VALIDATION,
  groupVersionKey,
  groupVersionPaths,
  groupVersionPrefix,
  PATCH_CONTENT_TYPES,
} from './operations.js';
export { ProtoWriter } from './protobuf-writer.js';
export { reachableDefinitions } from './reachable.js';
export type { Definitions, GroupVersionKind, Schema } from './schema.js';
export { findUnknownFields } from './unknown-fields.js';
export {
  buildV2,
  toV2Schema,
  type V2Document,
  type V2Operation,
  type V2Parameter,
  type V2PathItem,
} from './v2.js';
export { encodeV2Protobuf } from './v2-protobuf.js';
export { buildV3GroupVersion, buildV3Root, toV3Schemas, v3GroupVersionHash } from './v3.js';
