import { describe, expect, it } from 'vitest';
import { ago, formatTable, humanSize, parseCriLog } from '../../../bin/commands/cri.js';

describe('skiff cri formatting', () => {
  it('parses CRI log lines into stream and message, joining partial lines', () => {
    const log = [
      '2026-11-25T10:00:00.000000001Z stdout F hello world',
      '2026-11-25T10:00:00.100000000Z stdout P part one ',
      '2026-11-25T10:00:00.100000001Z stdout F and two',
      '2026-11-25T10:00:00.200000000Z stderr F oops',
      '2026-11-25T10:00:00.300000000Z stdout F ',
      '',
    ].join('\n');
    const parts = parseCriLog(log);
    expect(
      parts
        .filter((p) => p.stream === 'stdout')
        .map((p) => p.text)
        .join(''),
    ).toBe('hello world\npart one and two\n\n');
    expect(parts.filter((p) => p.stream === 'stderr')).toEqual([{ stream: 'stderr', text: 'oops\n' }]);
  });

  it('aligns table columns', () => {
    expect(
      formatTable(
        ['A', 'LONGER'],
        [
          ['xxxx', 'y'],
          ['z', ''],
        ],
      ),
    ).toBe('A      LONGER\nxxxx   y\nz\n');
  });

  it('prints sizes and ages as crictl does', () => {
    expect(humanSize(999)).toBe('999B');
    expect(humanSize(2_147_000)).toBe('2.15MB');
    expect(humanSize(55_000_000)).toBe('55MB');
    const now = 1_000_000_000_000;
    const ns = (ms: number) => (BigInt(ms) * 1_000_000n).toString();
    expect(ago(ns(now - 200), now)).toBe('Just now');
    expect(ago(ns(now - 5_000), now)).toBe('5 seconds ago');
    expect(ago(ns(now - 60_000), now)).toBe('1 minute ago');
    expect(ago(ns(now - 3 * 3600_000), now)).toBe('3 hours ago');
  });
});
