/** Formats epoch milliseconds as a metav1.MicroTime: `2024-01-02T03:04:05.000000Z`. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

/** Formats epoch milliseconds as a metav1.Time: `2024-01-02T03:04:05Z`. */
export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
