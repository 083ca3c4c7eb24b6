import { type Definitions, refName, type Schema } from './schema.js';

function refsOf(schema: Schema, out: string[]): void {
  if (schema.$ref) out.push(refName(schema.$ref));
  for (const s of schema.allOf ?? []) refsOf(s, out);
  if (schema.items) refsOf(schema.items, out);
  if (schema.additionalProperties && typeof schema.additionalProperties === 'object') {
    refsOf(schema.additionalProperties, out);
  }
  for (const p of Object.values(schema.properties ?? {})) refsOf(p, out);
}

/** The named definitions plus everything they reference, transitively, in name order. */
export function reachableDefinitions(defs: Definitions, roots: Iterable<string>): Definitions {
  const seen = new Set<string>();
  const stack = [...roots];
  while (stack.length > 0) {
    const name = stack.pop()!;
    if (seen.has(name)) continue;
    const schema = defs[name];
    if (!schema) continue;
    seen.add(name);
    const refs: string[] = [];
    refsOf(schema, refs);
    stack.push(...refs);
  }
  return Object.fromEntries([...seen].sort().map((name) => [name, defs[name]!]));
}

/** A deep copy of a schema with every `$ref` rewritten by `rewrite`. */
export function mapRefs(schema: Schema, rewrite: (s: Schema) => Schema): Schema {
  const out: Schema = { ...schema };
  if (out.allOf) out.allOf = out.allOf.map((s) => mapRefs(s, rewrite));
  if (out.items) out.items = mapRefs(out.items, rewrite);
  if (out.additionalProperties && typeof out.additionalProperties === 'object') {
    out.additionalProperties = mapRefs(out.additionalProperties, rewrite);
  }
  if (out.properties) {
    out.properties = Object.fromEntries(
      Object.entries(out.properties).map(([k, v]) => [k, mapRefs(v, rewrite)]),
    );
  }
  return out.$ref ? rewrite(out) : out;
}
