/**
 * Orders strings by UTF-16 code units, as Go's string comparison orders ASCII names and RFC 3339
 * timestamps. Not `localeCompare`: that is locale collation (not what Kubernetes sorts by) and
 * pages in several MiB of ICU collation data on first use.
 */
export function compareStrings(a: string, b: string): -1 | 0 | 1 {
  return a < b ? -1 : a > b ? 1 : 0;
}
