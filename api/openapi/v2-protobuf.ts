import { ProtoWriter } from './protobuf-writer.js';
import type { Schema } from './schema.js';
import type {
  V2ApiKeySecurity,
  V2Document,
  V2Method,
  V2Operation,
  V2Parameter,
  V2PathItem,
  V2Response,
} from './v2.js';

/**
 * The /openapi/v2 document in the protobuf form kubectl and client-go ask for
 * (`application/com.github.proto-openapi.spec.v2@v1.0+protobuf`): the `openapi.v2.Document`
 * message of gnostic's OpenAPIv2.proto. Field numbers below are that schema's. Values of vendor
 * extensions, defaults and enums travel as YAML text (`Any.yaml`); JSON is valid YAML, so they are
 * written as JSON.
 */

const EXTENSION = /^x-/;

/** `Any { google.protobuf.Any value = 1; string yaml = 2; }` */
function any(value: unknown): ProtoWriter {
  return new ProtoWriter().string(2, JSON.stringify(value), true);
}

/** Repeated `NamedAny { name = 1; Any value = 2; }` for every `x-` key of `obj`. */
function vendorExtensions(w: ProtoWriter, field: number, obj: object): void {
  for (const [key, value] of Object.entries(obj)) {
    if (!EXTENSION.test(key) || value === undefined) continue;
    w.message(field, new ProtoWriter().string(1, key, true).message(2, any(value)));
  }
}

/** `Schema`: the deterministic JSON Schema message. */
function schema(s: Schema): ProtoWriter {
  const w = new ProtoWriter();
  const loose = s as Schema & Record<string, unknown>;
  w.string(1, s.$ref);
  w.string(2, s.format);
  w.string(3, loose.title as string | undefined);
  w.string(4, s.description);
  if (s.default !== undefined) w.message(5, any(s.default));
  w.double(6, loose.multipleOf as number | undefined);
  w.double(7, loose.maximum as number | undefined);
  w.bool(8, loose.exclusiveMaximum as boolean | undefined);
  w.double(9, loose.minimum as number | undefined);
  w.bool(10, loose.exclusiveMinimum as boolean | undefined);
  w.int64(11, loose.maxLength as number | undefined);
  w.int64(12, loose.minLength as number | undefined);
  w.string(13, loose.pattern as string | undefined);
  w.int64(14, loose.maxItems as number | undefined);
  w.int64(15, loose.minItems as number | undefined);
  w.bool(16, loose.uniqueItems as boolean | undefined);
  w.int64(17, loose.maxProperties as number | undefined);
  w.int64(18, loose.minProperties as number | undefined);
  w.strings(19, s.required);
  for (const e of s.enum ?? []) w.message(20, any(e));
  if (s.additionalProperties !== undefined) {
    // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
    const item = new ProtoWriter();
    if (typeof s.additionalProperties === 'boolean') item.bool(2, s.additionalProperties, true);
    else item.message(1, schema(s.additionalProperties));
    w.message(21, item);
  }
  if (s.type !== undefined) w.message(22, new ProtoWriter().string(1, s.type, true)); // TypeItem
  if (s.items) w.message(23, new ProtoWriter().message(1, schema(s.items))); // ItemsItem
  for (const a of s.allOf ?? []) w.message(24, schema(a));
  if (s.properties) {
    const props = new ProtoWriter(); // Properties { repeated NamedSchema additional_properties = 1; }
    for (const [name, p] of Object.entries(s.properties)) {
      props.message(1, new ProtoWriter().string(1, name, true).message(2, schema(p)));
    }
    w.message(25, props);
  }
  w.string(26, loose.discriminator as string | undefined);
  w.bool(27, loose.readOnly as boolean | undefined);
  if (loose.example !== undefined) w.message(30, any(loose.example));
  vendorExtensions(w, 31, s);
  return w;
}

/** `ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }` */
function parameter(p: V2Parameter): ProtoWriter {
  let param: ProtoWriter; // Parameter { oneof { BodyParameter = 1; NonBodyParameter = 2; } }
  if (p.in === 'body') {
    const body = new ProtoWriter()
      .string(1, p.description)
      .string(2, p.name)
      .string(3, p.in)
      .bool(4, p.required)
      .message(5, p.schema && schema(p.schema));
    param = new ProtoWriter().message(1, body);
  } else if (p.in === 'query') {
    const query = new ProtoWriter()
      .bool(1, p.required)
      .string(2, p.in)
      .string(3, p.description)
      .string(4, p.name)
      .string(6, p.type)
      .bool(20, p.uniqueItems);
    // NonBodyParameter { oneof { header = 1; form_data = 2; query = 3; path = 4; } }
    param = new ProtoWriter().message(2, new ProtoWriter().message(3, query));
  } else {
    const path = new ProtoWriter()
      .bool(1, p.required)
      .string(2, p.in)
      .string(3, p.description)
      .string(4, p.name)
      .string(5, p.type)
      .bool(19, p.uniqueItems);
    param = new ProtoWriter().message(2, new ProtoWriter().message(4, path));
  }
  return new ProtoWriter().message(1, param);
}

/** `Responses { repeated NamedResponseValue response_code = 1; }` */
function responses(rs: Record<string, V2Response>): ProtoWriter {
  const w = new ProtoWriter();
  for (const [code, r] of Object.entries(rs)) {
    // Response { description = 1; SchemaItem schema = 2; }, SchemaItem { Schema schema = 1; }
    const response = new ProtoWriter()
      .string(1, r.description)
      .message(2, r.schema && new ProtoWriter().message(1, schema(r.schema)));
    const value = new ProtoWriter().message(1, response); // ResponseValue { Response response = 1; }
    w.message(1, new ProtoWriter().string(1, code, true).message(2, value));
  }
  return w;
}

function operation(o: V2Operation): ProtoWriter {
  const w = new ProtoWriter()
    .strings(1, o.tags)
    .string(3, o.description)
    .string(5, o.operationId)
    .strings(6, o.produces)
    .strings(7, o.consumes);
  for (const p of o.parameters) w.message(8, parameter(p));
  w.message(9, responses(o.responses)).strings(10, o.schemes);
  vendorExtensions(w, 13, o);
  return w;
}

const METHOD_FIELDS: Record<V2Method, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

function pathItem(item: V2PathItem): ProtoWriter {
  const w = new ProtoWriter();
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const o = item[method as V2Method];
    if (o) w.message(field, operation(o));
  }
  for (const p of item.parameters) w.message(9, parameter(p));
  return w;
}

function apiKeySecurity(s: V2ApiKeySecurity): ProtoWriter {
  const key = new ProtoWriter().string(1, s.type).string(2, s.name).string(3, s.in).string(4, s.description);
  return new ProtoWriter().message(2, key); // SecurityDefinitionsItem { ApiKeySecurity api_key_security = 2; }
}

/** The document as an `openapi.v2.Document` message. */
export function encodeV2Protobuf(doc: V2Document): Uint8Array {
  const w = new ProtoWriter().string(1, doc.swagger);
  w.message(2, new ProtoWriter().string(1, doc.info.title).string(2, doc.info.version));
  const paths = new ProtoWriter(); // Paths { repeated NamedPathItem path = 2; }
  for (const [path, item] of Object.entries(doc.paths)) {
    paths.message(2, new ProtoWriter().string(1, path, true).message(2, pathItem(item)));
  }
  w.message(8, paths);
  const definitions = new ProtoWriter(); // Definitions { repeated NamedSchema additional_properties = 1; }
  for (const [name, s] of Object.entries(doc.definitions)) {
    definitions.message(1, new ProtoWriter().string(1, name, true).message(2, schema(s)));
  }
  w.message(9, definitions);
  for (const requirement of doc.security) {
    // SecurityRequirement { repeated NamedStringArray additional_properties = 1; }
    const req = new ProtoWriter();
    for (const [name, scopes] of Object.entries(requirement)) {
      req.message(
        1,
        new ProtoWriter().string(1, name, true).message(2, new ProtoWriter().strings(1, scopes)),
      );
    }
    w.message(12, req);
  }
  const security = new ProtoWriter(); // SecurityDefinitions { repeated NamedSecurityDefinitionsItem = 1; }
  for (const [name, s] of Object.entries(doc.securityDefinitions)) {
    security.message(1, new ProtoWriter().string(1, name, true).message(2, apiKeySecurity(s)));
  }
  w.message(13, security);
  return w.finish();
}
