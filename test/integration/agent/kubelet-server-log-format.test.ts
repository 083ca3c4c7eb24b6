import { describe, expect, it } from 'vitest';
import {
  type CriLogRecord,
  LogWriter,
  parseCriLogChunk,
  parseCriLogLine,
  tailRecords,
} from '../../../agent/server/index.js';

const line = (s: string) => Buffer.from(s);
const FILE = [
  '2026-11-25T12:00:00.100000001Z stdout F one',
  '2026-11-25T12:00:01.2Z stderr F two',
  '2026-11-25T12:00:02.3Z stdout P thr',
  '2026-11-25T12:00:02.4Z stdout F ee',
  '2026-11-25T12:00:03.5Z stdout F ',
  'garbage',
  '2026-11-25T12:00:04.6Z stdout P unfinished',
].join('\n');

function render(records: CriLogRecord[], o: ConstructorParameters<typeof LogWriter>[0] = {}): string {
  const out: Buffer[] = [];
  const w = new LogWriter(o, (c) => out.push(c));
  for (const r of records) if (!w.write(r)) break;
  return Buffer.concat(out).toString();
}

describe('CRI log format', () => {
  it('parses time, stream, partial tag and content, and rejects malformed lines', () => {
    const r = parseCriLogLine(line('2026-11-25T12:00:00.100000001Z stderr P a b c'));
    expect(r).toMatchObject({ time: '2026-11-25T12:00:00.100000001Z', stream: 'stderr', partial: true });
    expect(r?.content.toString()).toBe('a b c');
    expect(r?.timeMs).toBe(Date.parse('2026-11-25T12:00:00.100Z'));
    expect(parseCriLogLine(line('2026-11-25T12:00:00Z stdout F '))?.content.length).toBe(0);
    expect(parseCriLogLine(line('not a time stdout F x'))).toBeUndefined();
    expect(parseCriLogLine(line('2026-11-25T12:00:00Z stdin F x'))).toBeUndefined();
    expect(parseCriLogLine(line('2026-11-25T12:00:00Z stdout'))).toBeUndefined();
  });

  it('splits a chunk into records and keeps an unterminated line back', () => {
    const { records, rest } = parseCriLogChunk(Buffer.from(`${FILE}\n2026-11-25T12:00:05Z stdout F hal`));
    expect(records).toHaveLength(6);
    expect(rest.toString()).toBe('2026-11-25T12:00:05Z stdout F hal');
  });

  it('joins partial records with the next, one newline per full record', () => {
    const { records } = parseCriLogChunk(Buffer.from(`${FILE}\n`));
    expect(render(records)).toBe('one\ntwo\nthree\n\nunfinished');
  });

  it('tails logical lines, a partial run counting as one', () => {
    const { records } = parseCriLogChunk(Buffer.from(`${FILE}\n`));
    expect(render(tailRecords(records, 1))).toBe('unfinished');
    expect(render(tailRecords(records, 3))).toBe('three\n\nunfinished');
    expect(render(tailRecords(records, 0))).toBe('');
    expect(render(tailRecords(records, 100))).toBe(render(records));
  });

  it('prefixes each logical line with its time, skips older records, and cuts at limitBytes', () => {
    const { records } = parseCriLogChunk(Buffer.from(`${FILE}\n`));
    expect(render(records.slice(0, 4), { timestamps: true })).toBe(
      '2026-11-25T12:00:00.100000001Z one\n2026-11-25T12:00:01.2Z two\n2026-11-25T12:00:02.3Z three\n',
    );
    expect(render(records, { sinceMs: Date.parse('2026-11-25T12:00:02.35Z') })).toBe('ee\n\nunfinished');
    expect(render(records, { limitBytes: 6 })).toBe('one\ntw');
    const out: Buffer[] = [];
    const w = new LogWriter({ limitBytes: 4 }, (c) => out.push(c));
    expect(w.write(records[0])).toBe(false);
    expect(w.write(records[1])).toBe(false);
    expect(Buffer.concat(out).toString()).toBe('one\n');
  });
});
