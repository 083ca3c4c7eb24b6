import { describe, expect, it } from 'vitest';
import { humanDuration, timestampSince } from '../../../api/tables/human-duration.js';

const s = 1000;
const m = 60 * s;
const h = 60 * m;
const d = 24 * h;

describe('humanDuration', () => {
  it.each([
    [-2 * s, '<invalid>'],
    [-1 * s, '0s'],
    [0, '0s'],
    [5 * s, '5s'],
    [119 * s, '119s'],
    [2 * m, '2m'],
    [3 * m + 2 * s, '3m2s'],
    [9 * m + 59 * s, '9m59s'],
    [10 * m + 30 * s, '10m'],
    [179 * m, '179m'],
    [3 * h, '3h'],
    [3 * h + 4 * m, '3h4m'],
    [8 * h + 30 * m, '8h'],
    [47 * h, '47h'],
    [2 * d + 5 * h, '2d5h'],
    [7 * d, '7d'],
    [50 * d, '50d'],
    [729 * d, '729d'],
    [3 * 365 * d, '3y'],
    [3 * 365 * d + 20 * d, '3y20d'],
    [9 * 365 * d + 20 * d, '9y'],
  ])('%d ms prints as %s', (ms, text) => {
    expect(humanDuration(ms)).toBe(text);
  });
});

describe('timestampSince', () => {
  it('measures from a timestamp to now', () => {
    expect(timestampSince('2024-01-01T00:00:00Z', new Date('2024-01-01T00:05:00Z'))).toBe('5m');
  });

  it('prints <unknown> for a missing timestamp', () => {
    expect(timestampSince(undefined, new Date())).toBe('<unknown>');
    expect(timestampSince('', new Date())).toBe('<unknown>');
  });
});
