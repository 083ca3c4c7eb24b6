/**
 * Checks a CronJob schedule as upstream's parser (robfig/cron ParseStandard) would: five fields
 * (minute hour day-of-month month day-of-week) or a descriptor. Returns the parse error or undefined.
 */

interface FieldBounds {
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS: Record<string, number> = {
  jan: 1,
  feb: 2,
  mar: 3,
  apr: 4,
  may: 5,
  jun: 6,
  jul: 7,
  aug: 8,
  sep: 9,
  oct: 10,
  nov: 11,
  dec: 12,
};
const DAYS: Record<string, number> = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const BOUNDS: FieldBounds[] = [
  { min: 0, max: 59 },
  { min: 0, max: 23 },
  { min: 1, max: 31 },
  { min: 1, max: 12, names: MONTHS },
  { min: 0, max: 6, names: DAYS },
];

const DESCRIPTORS = new Set([
  '@yearly',
  '@annually',
  '@monthly',
  '@weekly',
  '@daily',
  '@midnight',
  '@hourly',
]);

function parseValue(text: string, b: FieldBounds): number {
  const named = b.names?.[text.toLowerCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text))
    throw new Error(`failed to parse int from ${text}: strconv.Atoi: parsing "${text}": invalid syntax`);
  return Number(text);
}

function checkRange(expr: string, b: FieldBounds): void {
  const [rangePart, stepPart, ...rest] = expr.split('/');
  if (rest.length > 0) throw new Error(`too many slashes: ${expr}`);
  let start: number;
  let end: number;
  if (rangePart === '*' || rangePart === '?') {
    start = b.min;
    end = b.max;
  } else {
    const bounds = rangePart.split('-');
    if (bounds.length > 2) throw new Error(`too many hyphens: ${expr}`);
    start = parseValue(bounds[0], b);
    end = bounds.length === 2 ? parseValue(bounds[1], b) : start;
  }
  if (stepPart !== undefined) {
    const step = parseValue(stepPart, { min: 0, max: 0 });
    if (step === 0) throw new Error(`step of range should be a positive number: ${expr}`);
  }
  if (start < b.min) throw new Error(`beginning of range (${start}) below minimum (${b.min}): ${expr}`);
  if (end > b.max) throw new Error(`end of range (${end}) above maximum (${b.max}): ${expr}`);
  if (start > end) throw new Error(`beginning of range (${start}) beyond end of range (${end}): ${expr}`);
}

const DURATION_RE = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/;

export function cronScheduleError(schedule: string): string | undefined {
  const spec = schedule.trim();
  if (spec === '') return 'empty spec string';
  try {
    if (spec.startsWith('@')) {
      if (DESCRIPTORS.has(spec)) return undefined;
      if (spec.startsWith('@every ')) {
        const d = spec.slice('@every '.length).trim();
        return DURATION_RE.test(d)
          ? undefined
          : `failed to parse duration ${spec}: time: invalid duration "${d}"`;
      }
      return `unrecognized descriptor: ${spec}`;
    }
    const fields = spec.split(/\s+/);
    if (fields.length !== 5)
      return `expected exactly 5 fields, found ${fields.length}: [${fields.join(' ')}]`;
    fields.forEach((f, i) => {
      for (const part of f.split(',')) checkRange(part, BOUNDS[i]);
    });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}
