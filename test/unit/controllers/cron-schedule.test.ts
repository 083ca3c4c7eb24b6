import { describe, expect, it } from 'vitest';
import { CronSchedule } from '../../../control-plane/controllers/cron-schedule.js';

const at = (s: string) => Date.parse(s);
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe('cron schedules', () => {
  it('finds the next firing time in UTC', () => {
    const s = new CronSchedule('*/15 * * * *');
    expect(iso(s.next(at('2024-01-01T10:07:30Z')))).toBe('2024-01-01T10:15:00.000Z');
    expect(iso(new CronSchedule('@hourly').next(at('2024-01-01T10:00:00Z')))).toBe(
      '2024-01-01T11:00:00.000Z',
    );
    expect(iso(new CronSchedule('0 0 1 1 *').next(at('2024-03-01T00:00:00Z')))).toBe(
      '2025-01-01T00:00:00.000Z',
    );
  });

  it('ORs day of month and day of week when both are restricted', () => {
    const s = new CronSchedule('0 9 13 * 5'); // the 13th or any Friday
    expect(iso(s.next(at('2024-09-01T00:00:00Z')))).toBe('2024-09-06T09:00:00.000Z');
    expect(iso(s.next(at('2024-09-07T00:00:00Z')))).toBe('2024-09-13T09:00:00.000Z');
  });

  it('evaluates in the given time zone', () => {
    const s = new CronSchedule('0 9 * * *', 'Europe/Paris');
    expect(iso(s.next(at('2024-01-01T00:00:00Z')))).toBe('2024-01-01T08:00:00.000Z');
    expect(iso(s.next(at('2024-07-01T00:00:00Z')))).toBe('2024-07-01T07:00:00.000Z');
  });

  it('reports the most recent missed time and how many were missed', () => {
    const s = new CronSchedule('* * * * *');
    const r = s.mostRecent(at('2024-01-01T10:00:00Z'), at('2024-01-01T10:03:30Z'));
    expect(iso(r.time)).toBe('2024-01-01T10:03:00.000Z');
    expect(r.missed).toBe(3);
    const many = s.mostRecent(at('2024-01-01T00:00:00Z'), at('2024-01-01T10:03:30Z'));
    expect(iso(many.time)).toBe('2024-01-01T10:03:00.000Z');
    expect(many.missed).toBeGreaterThan(100);
    expect(s.mostRecent(at('2024-01-01T10:00:00Z'), at('2024-01-01T10:00:30Z')).time).toBeUndefined();
  });

  it('rejects a schedule without five fields', () => {
    expect(() => new CronSchedule('* * * *')).toThrow();
  });
});
