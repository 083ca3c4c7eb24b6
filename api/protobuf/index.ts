export { decodeMessage } from './decode-message.js';
export { decodeProtobufObject, isProtobufMediaType, PROTOBUF_CONTENT_TYPE } from './decode-object.js';
export type { FieldDescriptor, FieldKind, MapValue, MessageDescriptor } from './descriptor.js';
export { MESSAGES, TOP_LEVEL } from './messages.js';
export { WireFormatError, WireReader } from './reader.js';
