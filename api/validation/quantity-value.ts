/**
 * A small resource-quantity reader for validation (requests <= limits, non-negative). It turns
 * `500m`, `1Gi`, `1e3` into a number; precision beyond a double does not matter for comparisons
 * at this scale.
 */
const QUANTITY_RE = /^([+-]?(?:\d+(?:\.\d*)?|\.\d+))(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E|[eE][+-]?\d+)?$/;

const SUFFIX: Record<string, number> = {
  n: 1e-9,
  u: 1e-6,
  m: 1e-3,
  '': 1,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

/** The quantity's value, or undefined when it is not a quantity. */
export function quantityValue(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  const m = QUANTITY_RE.exec(q.trim() === q ? q : '');
  if (!m) return undefined;
  const base = Number(m[1]);
  const suffix = m[2] ?? '';
  if (suffix.startsWith('e') || suffix.startsWith('E')) return base * 10 ** Number(suffix.slice(1));
  return base * SUFFIX[suffix];
}

export const QUANTITY_FORMAT_ERROR =
  "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
