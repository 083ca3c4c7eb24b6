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
function any(w: ProtoWriter, value: unknown): void {
  w.string(2, JSON.stringify(value), true);
}

/** Repeated `NamedAny { name = 1; Any value = 2; }` for every `x-` key of `obj`. */
function vendorExtensions(w: ProtoWriter, field: number, obj: object): void {
  for (const [key, value] of Object.entries(obj)) {
    if (!EXTENSION.test(key) || value === undefined) continue;
    w.message(field, (e) => e.string(1, key, true).message(2, (a) => any(a, value)));
  }
}

/** `NamedX { string name = 1; X value = 2; }`, the map entries of gnostic's messages. */
function named(w: ProtoWriter, field: number, name: string, value: (w: ProtoWriter) => void): void {
  w.message(field, (e) => e.string(1, name, true).message(2, value));
}

/** `Schema`: the deterministic JSON Schema message. */
function schema(w: ProtoWriter, s: Schema): void {
  const loose = s as Schema & Record<string, unknown>;
  w.string(1, s.$ref);
  w.string(2, s.format);
  w.string(3, loose.title as string | undefined);
  w.string(4, s.description);
  if (s.default !== undefined) w.message(5, (a) => any(a, s.default));
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
  for (const e of s.enum ?? []) w.message(20, (a) => any(a, e));
  const additional = s.additionalProperties;
  if (additional !== undefined) {
    // AdditionalPropertiesItem { oneof { Schema schema = 1; bool boolean = 2; } }
    w.message(21, (item) => {
      if (typeof additional === 'boolean') item.bool(2, additional, true);
      else item.message(1, (x) => schema(x, additional));
    });
  }
  if (s.type !== undefined) w.message(22, (t) => t.string(1, s.type, true)); // TypeItem
  const items = s.items;
  if (items) w.message(23, (i) => i.message(1, (x) => schema(x, items))); // ItemsItem
  for (const a of s.allOf ?? []) w.message(24, (x) => schema(x, a));
  const properties = s.properties;
  if (properties) {
    // Properties { repeated NamedSchema additional_properties = 1; }
    w.message(25, (props) => {
      for (const [name, p] of Object.entries(properties)) named(props, 1, name, (x) => schema(x, p));
    });
  }
  w.string(26, loose.discriminator as string | undefined);
  w.bool(27, loose.readOnly as boolean | undefined);
  if (loose.example !== undefined) w.message(30, (a) => any(a, loose.example));
  vendorExtensions(w, 31, s);
}

/** `ParametersItem { oneof { Parameter parameter = 1; JsonReference json_reference = 2; } }` */
function parameter(w: ProtoWriter, p: V2Parameter): void {
  // Parameter { oneof { BodyParameter body_parameter = 1; NonBodyParameter non_body_parameter = 2; } }
  w.message(1, (param) => {
    if (p.in === 'body') {
      const body = p.schema;
      param.message(1, (b) => {
        b.string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
        if (body) b.message(5, (x) => schema(x, body));
      });
      return;
    }
    // NonBodyParameter { oneof { header = 1; form_data = 2; query = 3; path = 4; } }; the query and
    // path sub-schemas number their fields differently.
    param.message(2, (nonBody) =>
      p.in === 'query'
        ? nonBody.message(3, (q) =>
            q
              .bool(1, p.required)
              .string(2, p.in)
              .string(3, p.description)
              .string(4, p.name)
              .string(6, p.type)
              .bool(20, p.uniqueItems),
          )
        : nonBody.message(4, (q) =>
            q
              .bool(1, p.required)
              .string(2, p.in)
              .string(3, p.description)
              .string(4, p.name)
              .string(5, p.type)
              .bool(19, p.uniqueItems),
          ),
    );
  });
}

/** `Responses { repeated NamedResponseValue response_code = 1; }` */
function responses(w: ProtoWriter, rs: Record<string, V2Response>): void {
  for (const [code, r] of Object.entries(rs)) {
    // ResponseValue { Response response = 1; }, Response { description = 1; SchemaItem schema = 2; },
    // SchemaItem { Schema schema = 1; }
    const body = r.schema;
    named(w, 1, code, (value) =>
      value.message(1, (response) => {
        response.string(1, r.description);
        if (body) response.message(2, (item) => item.message(1, (x) => schema(x, body)));
      }),
    );
  }
}

function operation(w: ProtoWriter, o: V2Operation): void {
  w.strings(1, o.tags)
    .string(3, o.description)
    .string(5, o.operationId)
    .strings(6, o.produces)
    .strings(7, o.consumes);
  for (const p of o.parameters) w.message(8, (x) => parameter(x, p));
  w.message(9, (x) => responses(x, o.responses)).strings(10, o.schemes);
  vendorExtensions(w, 13, o);
}

const METHOD_FIELDS: Record<V2Method, number> = { get: 2, put: 3, post: 4, delete: 5, patch: 8 };

function pathItem(w: ProtoWriter, item: V2PathItem): void {
  for (const [method, field] of Object.entries(METHOD_FIELDS)) {
    const o = item[method as V2Method];
    if (o) w.message(field, (x) => operation(x, o));
  }
  for (const p of item.parameters) w.message(9, (x) => parameter(x, p));
}

/** `SecurityDefinitionsItem { ApiKeySecurity api_key_security = 2; }` */
function apiKeySecurity(w: ProtoWriter, s: V2ApiKeySecurity): void {
  w.message(2, (key) => key.string(1, s.type).string(2, s.name).string(3, s.in).string(4, s.description));
}

/** The document as an `openapi.v2.Document` message. */
export function encodeV2Protobuf(doc: V2Document): Buffer {
  const w = new ProtoWriter().string(1, doc.swagger);
  w.message(2, (info) => info.string(1, doc.info.title).string(2, doc.info.version));
  // Paths { repeated NamedPathItem path = 2; }
  w.message(8, (paths) => {
    for (const [path, item] of Object.entries(doc.paths)) named(paths, 2, path, (x) => pathItem(x, item));
  });
  // Definitions { repeated NamedSchema additional_properties = 1; }
  w.message(9, (defs) => {
    for (const [name, s] of Object.entries(doc.definitions)) named(defs, 1, name, (x) => schema(x, s));
  });
  for (const requirement of doc.security) {
    // SecurityRequirement { repeated NamedStringArray additional_properties = 1; }, StringArray { value = 1; }
    w.message(12, (req) => {
      for (const [name, scopes] of Object.entries(requirement))
        named(req, 1, name, (x) => x.strings(1, scopes));
    });
  }
  // SecurityDefinitions { repeated NamedSecurityDefinitionsItem additional_properties = 1; }
  w.message(13, (defs) => {
    for (const [name, s] of Object.entries(doc.securityDefinitions)) {
      named(defs, 1, name, (x) => apiKeySecurity(x, s));
    }
  });
  return w.finish();
}
