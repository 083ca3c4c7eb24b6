import { loadDefinitions } from './definitions.js';
import { type Definitions, refName, type Schema } from './schema.js';

/**
 * Follows `$ref` (plain or wrapped in `allOf`) to the schema that describes the value. Returns
 * undefined when the reference names no known definition.
 */
function resolve(schema: Schema, defs: Definitions): Schema | undefined {
  let current: Schema | undefined = schema;
  for (let hops = 0; current && hops < 16; hops++) {
    const target: string | undefined = current.$ref ?? current.allOf?.find((s) => s.$ref)?.$ref;
    if (!target) return current;
    current = defs[refName(target)];
  }
  return current;
}

/** Schemas that take any JSON: embedded objects, free-form values, int-or-string. */
function acceptsAnything(schema: Schema): boolean {
  if (schema['x-kubernetes-preserve-unknown-fields'] || schema['x-kubernetes-int-or-string']) return true;
  if (schema.format === 'int-or-string' || schema.type === undefined) return true;
  return schema.type === 'object' && !schema.properties && schema.additionalProperties === undefined;
}

function walk(value: unknown, schema: Schema, path: string, defs: Definitions, out: string[]): void {
  if (value === null || typeof value !== 'object') return;
  const resolved = resolve(schema, defs);
  if (!resolved || acceptsAnything(resolved)) return;
  if (Array.isArray(value)) {
    if (resolved.type !== 'array' || !resolved.items) return;
    const items = resolved.items;
    value.forEach((item, i) => {
      walk(item, items, `${path}[${i}]`, defs, out);
    });
    return;
  }
  if (resolved.type !== 'object') return;
  const join = (key: string): string => (path === '' ? key : `${path}.${key}`);
  const entries = Object.entries(value as Record<string, unknown>);
  if (resolved.properties) {
    for (const [key, child] of entries) {
      const prop = resolved.properties[key];
      if (prop) walk(child, prop, join(key), defs, out);
      else out.push(join(key));
    }
    return;
  }
  const additional = resolved.additionalProperties;
  if (additional && typeof additional === 'object') {
    for (const [key, child] of entries) walk(child, additional, join(key), defs, out);
  }
}

/**
 * Paths of the fields in `obj` that the definition does not declare, spelled as kube-apiserver's
 * strict decoding reports them (`spec.replicass`, `spec.template.spec.containers[0].imagee`).
 * Map entries accept any key; embedded and free-form values accept anything.
 */
export function findUnknownFields(
  obj: unknown,
  definition: string,
  defs: Definitions = loadDefinitions(),
): string[] {
  const schema = defs[definition];
  if (!schema) throw new Error(`unknown OpenAPI definition ${definition}`);
  const out: string[] = [];
  walk(obj, schema, '', defs, out);
  return out;
}
