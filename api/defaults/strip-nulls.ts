/**
 * Drops JSON nulls from an object tree in place. Upstream decodes into Go structs, where a null
 * is simply an unset field, and never stores the null; skiff keeps JSON, so it removes them
 * before defaulting (`replicas: null` then gets its default) and validation.
 */
export function stripNulls(value: unknown): void {
  if (Array.isArray(value)) {
    for (const item of value) stripNulls(item);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  const obj = value as Record<string, unknown>;
  for (const key of Object.keys(obj)) {
    if (obj[key] === null) delete obj[key];
    else stripNulls(obj[key]);
  }
}
