/**
 * How one protobuf field of a Kubernetes API message maps to its JSON form.
 * Special kinds are the apimachinery types with their own wire shape:
 * - time: meta/v1 Time {1 seconds, 2 nanos} as an RFC 3339 string (seconds precision)
 * - microtime: meta/v1 MicroTime, the same with microseconds
 * - quantity: resource Quantity {1 string}
 * - intorstring: intstr IntOrString {1 type, 2 intVal, 3 strVal} as a number or a string
 * - rawjson: a message whose field 1 holds JSON bytes (FieldsV1, RawExtension)
 * - stringlist: a message whose field 1 is a repeated string (authentication ExtraValue), as an array
 */
export type ScalarKind = 'string' | 'int32' | 'int64' | 'bool' | 'bytes';
export type SpecialKind = 'time' | 'microtime' | 'quantity' | 'intorstring' | 'rawjson' | 'stringlist';
export type FieldKind = ScalarKind | SpecialKind | 'message' | 'map';

/** Map values: scalars, special kinds, or a named message. Keys are always strings in the API. */
export type MapValue = { kind: 'string' | 'bytes' | SpecialKind } | { kind: 'message'; message: string };

export interface FieldDescriptor {
  readonly number: number;
  /** The JSON name (which is also the proto field name except where noted in the table). */
  readonly name: string;
  readonly kind: FieldKind;
  /** For kind 'message': the descriptor name in MESSAGES. */
  readonly message?: string;
  readonly mapValue?: MapValue;
  readonly repeated?: boolean;
  /** A Go struct embedded with `json:",inline"`: its fields are merged into the parent object. */
  readonly inline?: boolean;
  /**
   * Keep the value even when it is the zero value: the Go field is a pointer (a present 0, false
   * or "" means something) or is serialised to JSON without omitempty.
   */
  readonly keep?: boolean;
}

export type MessageDescriptor = readonly FieldDescriptor[];

type Opts = { repeated?: boolean; keep?: boolean };

/** Terse constructors for the message table. */
export const f = {
  str: (number: number, name: string, o?: Opts): FieldDescriptor => ({ number, name, kind: 'string', ...o }),
  strs: (number: number, name: string): FieldDescriptor => ({ number, name, kind: 'string', repeated: true }),
  i32: (number: number, name: string, o?: Opts): FieldDescriptor => ({ number, name, kind: 'int32', ...o }),
  i64: (number: number, name: string, o?: Opts): FieldDescriptor => ({ number, name, kind: 'int64', ...o }),
  bool: (number: number, name: string, o?: Opts): FieldDescriptor => ({ number, name, kind: 'bool', ...o }),
  bytes: (number: number, name: string, o?: Opts): FieldDescriptor => ({ number, name, kind: 'bytes', ...o }),
  msg: (number: number, name: string, message: string, o?: Opts): FieldDescriptor => ({
    number,
    name,
    kind: 'message',
    message,
    ...o,
  }),
  msgs: (number: number, name: string, message: string): FieldDescriptor => ({
    number,
    name,
    kind: 'message',
    message,
    repeated: true,
  }),
  inline: (number: number, name: string, message: string): FieldDescriptor => ({
    number,
    name,
    kind: 'message',
    message,
    inline: true,
  }),
  time: (number: number, name: string): FieldDescriptor => ({ number, name, kind: 'time' }),
  microtime: (number: number, name: string): FieldDescriptor => ({ number, name, kind: 'microtime' }),
  quantity: (number: number, name: string): FieldDescriptor => ({ number, name, kind: 'quantity' }),
  intstr: (number: number, name: string): FieldDescriptor => ({ number, name, kind: 'intorstring' }),
  rawjson: (number: number, name: string, o?: Opts): FieldDescriptor => ({
    number,
    name,
    kind: 'rawjson',
    ...o,
  }),
  map: (
    number: number,
    name: string,
    value: MapValue['kind'] = 'string',
    message?: string,
  ): FieldDescriptor => ({
    number,
    name,
    kind: 'map',
    mapValue: value === 'message' ? { kind: 'message', message: message ?? '' } : { kind: value },
  }),
} as const;
