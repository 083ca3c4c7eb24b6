/**
 * Formats JSON values as Go's fmt `%v` prints the decoded `interface{}` values, so that
 * strategic merge errors read as kube-apiserver's (`map: map[image:x] does not contain ...`).
 */
export function goFormat(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return `[${v.map(goFormat).join(' ')}]`;
  if (typeof v === 'object') {
    const entries = Object.keys(v)
      .sort()
      .map((k) => `${k}:${goFormat((v as Record<string, unknown>)[k])}`);
    return `map[${entries.join(' ')}]`;
  }
  if (typeof v === 'number') return goFloat(v);
  return String(v);
}

/** `reflect.TypeOf` of a decoded JSON value. */
export function goReflectType(v: unknown): string {
  if (v === null || v === undefined) return '<nil>';
  if (Array.isArray(v)) return '[]interface {}';
  switch (typeof v) {
    case 'object':
      return 'map[string]interface {}';
    case 'number':
      return 'float64';
    case 'boolean':
      return 'bool';
    default:
      return typeof v;
  }
}

/** strconv.FormatFloat(f, 'g', -1, 64): exponent form from 1e+06 up and below 1e-04. */
function goFloat(n: number): string {
  if (n === 0 || !Number.isFinite(n)) return String(n);
  const exp = Math.floor(Math.log10(Math.abs(n)));
  if (exp >= -4 && exp < 6) return String(n);
  const [mantissa, e] = n.toExponential().split('e');
  const sign = e.startsWith('-') ? '-' : '+';
  const digits = e.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa}e${sign}${digits}`;
}
