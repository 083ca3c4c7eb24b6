import { badRequest, StatusError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { decodeMessage } from './decode-message.js';
import { TOP_LEVEL } from './messages.js';
import { WIRE_BYTES, WireFormatError, WireReader } from './reader.js';

export const PROTOBUF_CONTENT_TYPE = 'application/vnd.kubernetes.protobuf';

/** True for a Content-Type naming the Kubernetes protobuf encoding (parameters ignored). */
export function isProtobufMediaType(contentType: string | undefined): boolean {
  return contentType?.split(';')[0].trim().toLowerCase() === PROTOBUF_CONTENT_TYPE;
}

/** Every Kubernetes protobuf body starts with "k8s\0". */
const MAGIC = [0x6b, 0x38, 0x73, 0x00] as const;

interface Envelope {
  apiVersion: string;
  kind: string;
  raw: WireReader;
  contentEncoding: string;
}

/**
 * Decodes a request body of type application/vnd.kubernetes.protobuf (the magic prefix, then a
 * runtime.Unknown) into the JSON object a client would have sent as application/json.
 * Malformed bytes → 400 BadRequest; a kind with no decoder → 415 UnsupportedMediaType.
 */
export function decodeProtobufObject(body: Uint8Array): KubeObject {
  if (body.length < MAGIC.length || MAGIC.some((b, i) => body[i] !== b)) {
    throw badRequest('the protobuf body does not start with the Kubernetes magic prefix "k8s\\x00"');
  }
  try {
    const envelope = readEnvelope(new WireReader(body, MAGIC.length));
    if (!envelope.kind || !envelope.apiVersion) {
      throw badRequest("Object 'Kind' or 'apiVersion' is missing in the protobuf envelope");
    }
    if (envelope.contentEncoding !== '') {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the protobuf body has an unsupported content encoding "${envelope.contentEncoding}"`,
      );
    }
    const typeName = TOP_LEVEL[`${envelope.apiVersion}/${envelope.kind}`];
    if (!typeName) {
      throw new StatusError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format: ${PROTOBUF_CONTENT_TYPE} is not supported for ${envelope.apiVersion}, Kind=${envelope.kind}; send application/json`,
        { kind: envelope.kind },
      );
    }
    const decoded = decodeMessage(typeName, envelope.raw);
    const metadata = (decoded.metadata as KubeObject['metadata'] | undefined) ?? {};
    return { apiVersion: envelope.apiVersion, kind: envelope.kind, ...decoded, metadata };
  } catch (err) {
    if (err instanceof WireFormatError)
      throw badRequest(`unable to decode the protobuf body: ${err.message}`);
    throw err;
  }
}

function readEnvelope(reader: WireReader): Envelope {
  const envelope: Envelope = {
    apiVersion: '',
    kind: '',
    raw: new WireReader(new Uint8Array(0)),
    contentEncoding: '',
  };
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if (field >= 1 && field <= 4 && wireType !== WIRE_BYTES) {
      throw new WireFormatError(
        `runtime.Unknown field ${field}: wire type ${wireType}, expected ${WIRE_BYTES}`,
      );
    }
    switch (field) {
      case 1:
        readTypeMeta(reader.message(), envelope);
        break;
      case 2:
        envelope.raw = reader.message();
        break;
      case 3:
        envelope.contentEncoding = reader.string();
        break;
      case 4:
        reader.string(); // contentType: kubectl leaves it empty; the raw bytes are protobuf either way
        break;
      default:
        reader.skip(wireType);
    }
  }
  return envelope;
}

function readTypeMeta(reader: WireReader, envelope: Envelope): void {
  while (!reader.done) {
    const { field, wireType } = reader.tag();
    if ((field === 1 || field === 2) && wireType !== WIRE_BYTES) {
      throw new WireFormatError(`TypeMeta field ${field}: wire type ${wireType}, expected ${WIRE_BYTES}`);
    }
    if (field === 1) envelope.apiVersion = reader.string();
    else if (field === 2) envelope.kind = reader.string();
    else reader.skip(wireType);
  }
}
