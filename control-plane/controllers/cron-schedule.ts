import { parse } from 'node-cron';

const DESCRIPTORS: Record<string, string> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
/** Searches look at most this far (upstream gives up on schedules that never fire, too). */
const HORIZON_MS = 366 * 24 * HOUR_MS;

interface Parts {
  minute: number;
  hour: number;
  day: number;
  month: number;
  weekday: number;
  lastDay: number;
}

const WEEKDAYS: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

/**
 * A standard five-field cron schedule (or @descriptor), parsed by node-cron, evaluated in an IANA
 * time zone. Day-of-month and day-of-week combine as in cron: when both are restricted, either
 * matching is enough.
 */
export class CronSchedule {
  private readonly minutes: Set<number>;
  private readonly hours: Set<number>;
  private readonly days: Set<number | string>;
  private readonly months: Set<number>;
  private readonly weekdays: Set<number>;
  private readonly domStar: boolean;
  private readonly dowStar: boolean;
  private readonly format: Intl.DateTimeFormat | undefined;

  constructor(expression: string, timeZone?: string) {
    const text = DESCRIPTORS[expression.trim()] ?? expression.trim();
    const fields = text.split(/\s+/);
    if (fields.length !== 5)
      throw new Error(`expected exactly 5 fields, found ${fields.length}: ${expression}`);
    const parsed = parse(text);
    this.minutes = new Set(parsed.minute);
    this.hours = new Set(parsed.hour);
    this.days = new Set(parsed.dayOfMonth);
    this.months = new Set(parsed.month);
    this.weekdays = new Set(parsed.dayOfWeek.map((d) => (d === 7 ? 0 : Number(d))));
    const star = (f: string | undefined) => f === '*' || f === '?';
    this.domStar = star(fields[2]);
    this.dowStar = star(fields[4]);
    this.format =
      timeZone && timeZone !== 'UTC' && timeZone !== 'Etc/UTC'
        ? new Intl.DateTimeFormat('en-US', {
            timeZone,
            hourCycle: 'h23',
            year: 'numeric',
            month: 'numeric',
            day: 'numeric',
            hour: 'numeric',
            minute: 'numeric',
            weekday: 'short',
          })
        : undefined;
  }

  private parts(ms: number): Parts {
    if (!this.format) {
      const d = new Date(ms);
      const y = d.getUTCFullYear();
      const m = d.getUTCMonth() + 1;
      return {
        minute: d.getUTCMinutes(),
        hour: d.getUTCHours(),
        day: d.getUTCDate(),
        month: m,
        weekday: d.getUTCDay(),
        lastDay: new Date(Date.UTC(y, m, 0)).getUTCDate(),
      };
    }
    const get: Record<string, string> = {};
    for (const p of this.format.formatToParts(new Date(ms))) get[p.type] = p.value;
    const y = Number(get.year);
    const m = Number(get.month);
    return {
      minute: Number(get.minute),
      hour: Number(get.hour),
      day: Number(get.day),
      month: m,
      weekday: WEEKDAYS[get.weekday ?? 'Sun'] ?? 0,
      lastDay: new Date(Date.UTC(y, m, 0)).getUTCDate(),
    };
  }

  private dayMatches(p: Parts): boolean {
    const dom = this.days.has(p.day) || (this.days.has('L') && p.day === p.lastDay);
    const dow = this.weekdays.has(p.weekday);
    if (this.domStar || this.dowStar) return dom && dow;
    return dom || dow;
  }

  private hourMatches(p: Parts): boolean {
    return this.months.has(p.month) && this.dayMatches(p) && this.hours.has(p.hour);
  }

  /** Whether the schedule fires in the minute starting at `ms`. */
  matches(ms: number): boolean {
    const p = this.parts(ms);
    return this.hourMatches(p) && this.minutes.has(p.minute);
  }

  /** The first firing time strictly after `afterMs`, or undefined within a year. */
  next(afterMs: number): number | undefined {
    let t = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
    const end = afterMs + HORIZON_MS;
    while (t <= end) {
      const p = this.parts(t);
      if (!this.hourMatches(p)) {
        // Skip to the next hour boundary (time zones are whole or half hours off: recheck each minute there).
        t += (60 - p.minute) * MINUTE_MS;
        continue;
      }
      if (this.minutes.has(p.minute)) return t;
      t += MINUTE_MS;
    }
    return undefined;
  }

  /** The most recent firing time in (afterMs, nowMs], and how many were missed in between. */
  mostRecent(afterMs: number, nowMs: number): { time: number | undefined; missed: number } {
    let time: number | undefined;
    let missed = 0;
    for (let t = this.next(afterMs); t !== undefined && t <= nowMs; t = this.next(t)) {
      time = t;
      missed++;
      if (missed > 100) {
        // Too many missed starts: upstream also stops counting and takes the latest one.
        let back = Math.floor(nowMs / MINUTE_MS) * MINUTE_MS;
        while (back > t && !this.matches(back)) back -= MINUTE_MS;
        return { time: back, missed };
      }
    }
    return { time, missed };
  }
}
