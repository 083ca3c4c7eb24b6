import type { FieldDescriptor, MapValue, MessageDescriptor } from './descriptor.js';
import { MESSAGES } from './messages.js';
import { WIRE_BYTES, WIRE_VARINT, WireFormatError, type WireReader } from './reader.js';

type Json = Record<string, unknown>;

/** Nesting deeper than any API object; guards the stack against hostile input. */
const MAX_DEPTH = 64;

interface FieldIndex {
  byNumber: Map<number, FieldDescriptor>;
  byName: Map<string, FieldDescriptor>;
}

const indexCache = new Map<string, FieldIndex>();

function fieldsOf(typeName: string): FieldIndex {
  let index = indexCache.get(typeName);
  if (!index) {
    const descriptor: MessageDescriptor | undefined = MESSAGES[typeName];
    if (!descriptor) throw new Error(`protobuf message ${typeName} is not in the table`);
    index = {
      byNumber: new Map(descriptor.map((field) => [field.number, field])),
      byName: new Map(descriptor.map((field) => [field.name, field])),
    };
    indexCache.set(typeName, index);
  }
  return index;
}

/**
 * Decodes one message into the object Go's JSON encoder would produce for the same struct:
 * zero scalars are dropped unless the field is marked `keep` (a Go pointer or non-omitempty),
 * present messages are kept even when empty, inline structs are merged into their parent.
 */
export function decodeMessage(typeName: string, reader: WireReader, depth = 0): Json {
  if (depth > MAX_DEPTH) throw new WireFormatError('message nesting too deep');
  const fields = fieldsOf(typeName);
  const out: Json = {};
  const inlined: Json[] = [];
  while (!reader.done) {
    const { field: number, wireType } = reader.tag();
    const field = fields.byNumber.get(number);
    if (!field) {
      reader.skip(wireType);
      continue;
    }
    if (field.repeated && field.kind !== 'message' && wireType === WIRE_BYTES && isVarintKind(field)) {
      readPacked(field, reader, out);
      continue;
    }
    expectWireType(typeName, field, wireType);
    if (field.kind === 'map') {
      readMapEntry(typeName, field, reader.message(), out, depth);
      continue;
    }
    if (field.inline) {
      inlined.push(decodeMessage(field.message ?? '', reader.message(), depth + 1));
      continue;
    }
    const value = readValue(field, reader, depth);
    if (field.repeated) {
      const list = (out[field.name] as unknown[] | undefined) ?? [];
      list.push(value === undefined ? null : value);
      out[field.name] = list;
    } else if (field.kind === 'message' && isObject(out[field.name]) && isObject(value)) {
      // proto2 merges a repeated occurrence of a singular message field.
      Object.assign(out[field.name] as Json, value);
    } else {
      out[field.name] = value;
    }
  }
  for (const [name, value] of Object.entries(out)) {
    const field = fields.byName.get(name);
    if (value === undefined || (field && !field.repeated && !field.keep && isZeroScalar(field, value))) {
      delete out[name];
    }
  }
  for (const extra of inlined) Object.assign(out, extra);
  return out;
}

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isVarintKind(field: FieldDescriptor): boolean {
  return field.kind === 'int32' || field.kind === 'int64' || field.kind === 'bool';
}

function expectWireType(typeName: string, field: FieldDescriptor, wireType: number): void {
  const want = isVarintKind(field) ? WIRE_VARINT : WIRE_BYTES;
  if (wireType !== want) {
    throw new WireFormatError(`${typeName}.${field.name}: wire type ${wireType}, expected ${want}`);
  }
}

function isZeroScalar(field: FieldDescriptor, value: unknown): boolean {
  switch (field.kind) {
    case 'string':
    case 'bytes':
      return value === '';
    case 'int32':
    case 'int64':
      return value === 0;
    case 'bool':
      return value === false;
    default:
      return false;
  }
}

function readPacked(field: FieldDescriptor, reader: WireReader, out: Json): void {
  const sub = reader.message();
  const list = (out[field.name] as unknown[] | undefined) ?? [];
  while (!sub.done) list.push(readScalar(field.kind, sub));
  out[field.name] = list;
}

function readScalar(kind: string, reader: WireReader): unknown {
  switch (kind) {
    case 'string':
      return reader.string();
    case 'int32':
      return reader.int32();
    case 'int64':
      return reader.int64();
    case 'bool':
      return reader.bool();
    case 'bytes':
      return Buffer.from(reader.bytes()).toString('base64');
    default:
      throw new Error(`not a scalar kind: ${kind}`);
  }
}

/** One field value; undefined means "absent in JSON" (a zero Time, an empty Quantity). */
function readValue(field: FieldDescriptor, reader: WireReader, depth: number): unknown {
  switch (field.kind) {
    case 'message':
      return decodeMessage(field.message ?? '', reader.message(), depth + 1);
    case 'map':
      throw new Error('maps are read entry by entry');
    case 'time':
    case 'microtime':
    case 'quantity':
    case 'intorstring':
    case 'rawjson':
    case 'stringlist':
      return readSpecial(field.kind, reader.message());
    default:
      return readScalar(field.kind, reader);
  }
}

function readSpecial(
  kind: Exclude<MapValue['kind'], 'string' | 'bytes' | 'message'>,
  sub: WireReader,
): unknown {
  switch (kind) {
    case 'time':
    case 'microtime': {
      let seconds = 0;
      let nanos = 0;
      let present = false;
      eachField(sub, { 1: WIRE_VARINT, 2: WIRE_VARINT }, (n, r) => {
        if (n === 1) seconds = r.int64();
        else nanos = r.int32();
        present = true;
      });
      return present ? formatTime(seconds, nanos, kind === 'microtime') : undefined;
    }
    case 'quantity': {
      let text = '';
      eachField(sub, { 1: WIRE_BYTES }, (_n, r) => {
        text = r.string();
      });
      return text === '' ? undefined : text;
    }
    case 'intorstring': {
      let type = 0;
      let intVal = 0;
      let strVal = '';
      eachField(sub, { 1: WIRE_VARINT, 2: WIRE_VARINT, 3: WIRE_BYTES }, (n, r) => {
        if (n === 1) type = r.int64();
        else if (n === 2) intVal = r.int32();
        else strVal = r.string();
      });
      return type === 1 ? strVal : intVal;
    }
    case 'rawjson': {
      let raw: Uint8Array | undefined;
      eachField(sub, { 1: WIRE_BYTES }, (_n, r) => {
        raw = r.bytes();
      });
      if (!raw || raw.length === 0) return undefined;
      try {
        return JSON.parse(Buffer.from(raw).toString('utf8'));
      } catch {
        throw new WireFormatError('embedded raw JSON is not valid JSON');
      }
    }
    case 'stringlist': {
      const items: string[] = [];
      eachField(sub, { 1: WIRE_BYTES }, (_n, r) => {
        items.push(r.string());
      });
      return items;
    }
  }
}

/** Reads the known fields of a small fixed-shape message (checking wire types) and skips the rest. */
function eachField(
  sub: WireReader,
  wireTypes: Record<number, number>,
  read: (field: number, r: WireReader) => void,
): void {
  while (!sub.done) {
    const { field, wireType } = sub.tag();
    const want = wireTypes[field];
    if (want === undefined) {
      sub.skip(wireType);
    } else if (want !== wireType) {
      throw new WireFormatError(`field ${field}: wire type ${wireType}, expected ${want}`);
    } else {
      read(field, sub);
    }
  }
}

function readMapEntry(
  typeName: string,
  field: FieldDescriptor,
  entry: WireReader,
  out: Json,
  depth: number,
): void {
  const valueKind = field.mapValue ?? { kind: 'string' };
  let key = '';
  let value: unknown;
  while (!entry.done) {
    const { field: n, wireType } = entry.tag();
    if (n === 1 && wireType === WIRE_BYTES) key = entry.string();
    else if (n === 2 && wireType === WIRE_BYTES) value = readMapValue(valueKind, entry, depth);
    else if (n === 1 || n === 2)
      throw new WireFormatError(`${typeName}.${field.name}: bad map entry wire type`);
    else entry.skip(wireType);
  }
  // A map entry without a value holds the value type's zero (gogo leaves out nil bytes).
  if (value === undefined) value = zeroMapValue(valueKind);
  const map = (out[field.name] as Json | undefined) ?? {};
  // Define rather than assign, so a "__proto__" key stays an ordinary own property.
  Object.defineProperty(map, key, { value, enumerable: true, writable: true, configurable: true });
  out[field.name] = map;
}

function readMapValue(valueKind: MapValue, entry: WireReader, depth: number): unknown {
  switch (valueKind.kind) {
    case 'string':
      return entry.string();
    case 'bytes':
      return Buffer.from(entry.bytes()).toString('base64');
    case 'message':
      return decodeMessage(valueKind.message, entry.message(), depth + 1);
    default:
      return readSpecial(valueKind.kind, entry.message()) ?? null;
  }
}

function zeroMapValue(valueKind: MapValue): unknown {
  switch (valueKind.kind) {
    case 'string':
    case 'bytes':
      return '';
    case 'message':
      return {};
    case 'stringlist':
      return [];
    case 'quantity':
      return '0';
    default:
      return null;
  }
}

function formatTime(seconds: number, nanos: number, micro: boolean): string {
  const date = new Date(seconds * 1000);
  if (Number.isNaN(date.getTime())) throw new WireFormatError('timestamp out of range');
  const base = date.toISOString().slice(0, 19);
  if (!micro) return `${base}Z`;
  const micros = Math.floor(nanos / 1000)
    .toString()
    .padStart(6, '0');
  return `${base}.${micros}Z`;
}
