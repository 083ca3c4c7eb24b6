import protobuf from 'protobufjs/minimal.js';

/** Builds protobuf bytes the way gogo-generated marshalers lay them out, for decoder tests. */
export type Part = (w: protobuf.Writer) => void;

const tag = (field: number, wireType: number) => (field << 3) | wireType;

export const str =
  (field: number, value: string): Part =>
  (w) => {
    w.uint32(tag(field, 2)).string(value);
  };
export const int32 =
  (field: number, value: number): Part =>
  (w) => {
    w.uint32(tag(field, 0)).int32(value);
  };
export const int64 =
  (field: number, value: number): Part =>
  (w) => {
    w.uint32(tag(field, 0)).int64(value);
  };
export const bool =
  (field: number, value: boolean): Part =>
  (w) => {
    w.uint32(tag(field, 0)).bool(value);
  };
export const bytes =
  (field: number, value: Uint8Array): Part =>
  (w) => {
    w.uint32(tag(field, 2)).bytes(value);
  };
export const fixed64 =
  (field: number, value: number): Part =>
  (w) => {
    w.uint32(tag(field, 1)).fixed64(value);
  };
export const fixed32 =
  (field: number, value: number): Part =>
  (w) => {
    w.uint32(tag(field, 5)).fixed32(value);
  };
export const msg =
  (field: number, ...parts: Part[]): Part =>
  (w) => {
    w.uint32(tag(field, 2)).fork();
    for (const p of parts) p(w);
    w.ldelim();
  };
/** A map<string, string> entry. */
export const entry = (field: number, key: string, value: string): Part =>
  msg(field, str(1, key), str(2, value));
/** A map<string, bytes> entry. */
export const bytesEntry = (field: number, key: string, value: Uint8Array): Part =>
  msg(field, str(1, key), bytes(2, value));
/** meta/v1 Time {1 seconds, 2 nanos}. */
export const time = (field: number, seconds: number): Part => msg(field, int64(1, seconds), int32(2, 0));
/** resource Quantity {1 string}. */
export const quantity = (field: number, value: string): Part => msg(field, str(1, value));
/** intstr IntOrString: gogo writes all three fields. */
export const intOrString = (field: number, value: number | string): Part =>
  typeof value === 'number'
    ? msg(field, int64(1, 0), int32(2, value), str(3, ''))
    : msg(field, int64(1, 1), int32(2, 0), str(3, value));

export function encode(...parts: Part[]): Uint8Array {
  const w = protobuf.Writer.create();
  for (const p of parts) p(w);
  return w.finish();
}

/** The full request body: "k8s\0" + runtime.Unknown{typeMeta, raw, contentEncoding "", contentType ""}. */
export function body(apiVersion: string, kind: string, ...raw: Part[]): Uint8Array {
  const unknown = encode(
    msg(1, str(1, apiVersion), str(2, kind)),
    bytes(2, encode(...raw)),
    str(3, ''),
    str(4, ''),
  );
  return Buffer.concat([Buffer.from([0x6b, 0x38, 0x73, 0x00]), unknown]);
}

/** An ObjectMeta as kubectl's creates send it: fields 1–8 always present, namespace left empty. */
export const meta = (name: string, ...extra: Part[]): Part =>
  msg(
    1,
    str(1, name),
    str(2, ''),
    str(3, ''),
    str(4, ''),
    str(5, ''),
    str(6, ''),
    int64(7, 0),
    msg(8),
    ...extra,
  );
