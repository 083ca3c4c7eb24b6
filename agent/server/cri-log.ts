/**
 * The CRI container log format that containerd writes, one record a line:
 * `<RFC3339Nano time> <stdout|stderr> <tags> <content>`, where the tag `P` marks a partial line
 * continued by the next record and `F` a full one.
 */
export interface CriLogRecord {
  /** The time as written (RFC3339Nano). */
  time: string;
  timeMs: number;
  stream: 'stdout' | 'stderr';
  partial: boolean;
  content: Buffer;
}

const SPACE = 0x20;
const NEWLINE = 0x0a;

/** One record from one line (without its newline); undefined when the line is malformed. */
export function parseCriLogLine(line: Buffer): CriLogRecord | undefined {
  const a = line.indexOf(SPACE);
  const b = a < 0 ? -1 : line.indexOf(SPACE, a + 1);
  const c = b < 0 ? -1 : line.indexOf(SPACE, b + 1);
  if (c < 0) return undefined;
  const time = line.subarray(0, a).toString('latin1');
  const timeMs = Date.parse(time);
  const stream = line.subarray(a + 1, b).toString('latin1');
  if (Number.isNaN(timeMs) || (stream !== 'stdout' && stream !== 'stderr')) return undefined;
  const tags = line
    .subarray(b + 1, c)
    .toString('latin1')
    .split(':');
  return { time, timeMs, stream, partial: tags[0] === 'P', content: line.subarray(c + 1) };
}

/** Splits a file's bytes into records; an unterminated last line is returned as `rest`. */
export function parseCriLogChunk(data: Buffer): { records: CriLogRecord[]; rest: Buffer } {
  const records: CriLogRecord[] = [];
  let start = 0;
  for (let nl = data.indexOf(NEWLINE); nl >= 0; nl = data.indexOf(NEWLINE, start)) {
    const r = parseCriLogLine(data.subarray(start, nl));
    if (r) records.push(r);
    start = nl + 1;
  }
  return { records, rest: data.subarray(start) };
}

/** The records of the last `lines` logical lines (a run of partials plus the record ending it). */
export function tailRecords(records: CriLogRecord[], lines: number): CriLogRecord[] {
  if (lines <= 0) return [];
  let seen = 0;
  for (let i = records.length - 1; i >= 0; i--) {
    // A full record ends a logical line; an unfinished run of partials at the end counts as one too.
    const endsLine = !records[i].partial || i === records.length - 1;
    if (endsLine && seen++ === lines) return records.slice(i + 1);
  }
  return records;
}

export interface LogWriteOptions {
  /** Records older than this (ms since the epoch) are skipped (sinceSeconds, sinceTime). */
  sinceMs?: number;
  /** Prefix each line with its time, as `kubectl logs --timestamps` shows. */
  timestamps?: boolean;
  /** Stop after this many bytes of output, even mid-line. */
  limitBytes?: number;
}

/** Turns records into the text the kubelet serves; `write` returns false once limitBytes is reached. */
export class LogWriter {
  private lineStart = true;
  private written = 0;

  constructor(
    private readonly o: LogWriteOptions,
    private readonly out: (chunk: Buffer) => void,
  ) {}

  get full(): boolean {
    return this.o.limitBytes !== undefined && this.written >= this.o.limitBytes;
  }

  write(r: CriLogRecord): boolean {
    if (this.full) return false;
    if (this.o.sinceMs !== undefined && r.timeMs < this.o.sinceMs) return true;
    const parts: Buffer[] = [];
    if (this.o.timestamps && this.lineStart) parts.push(Buffer.from(`${r.time} `));
    parts.push(r.content);
    if (!r.partial) parts.push(Buffer.from('\n'));
    this.lineStart = !r.partial;
    let chunk = Buffer.concat(parts);
    if (this.o.limitBytes !== undefined)
      chunk = chunk.subarray(0, Math.max(0, this.o.limitBytes - this.written));
    this.written += chunk.length;
    if (chunk.length > 0) this.out(chunk);
    return !this.full;
  }
}
