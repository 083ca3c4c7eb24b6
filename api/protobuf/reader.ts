/** Thrown for bytes that are not a well-formed protobuf encoding; callers turn it into a 400. */
export class WireFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireFormatError';
  }
}

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_BYTES = 2;
export const WIRE_FIXED32 = 5;

const TWO_POW_32 = 4294967296;
const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * A cursor over one protobuf message (the bytes between `pos` and `end`).
 * Only what the Kubernetes API protos use: varints and length-delimited fields; fixed-width
 * fields can be skipped. Every read is bounds-checked so truncated input throws, never overreads.
 */
export class WireReader {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    start = 0,
    private readonly end = buf.length,
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  /** Field number and wire type of the next field. */
  tag(): { field: number; wireType: number } {
    const { lo, hi } = this.varint64();
    if (hi !== 0 || lo >>> 3 === 0) throw new WireFormatError(`invalid field tag at offset ${this.pos}`);
    return { field: lo >>> 3, wireType: lo & 7 };
  }

  /** A varint as two 32-bit halves (low unsigned, high signed), up to the 10 bytes of a negative int64. */
  varint64(): { lo: number; hi: number } {
    let lo = 0;
    let hi = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new WireFormatError('truncated varint');
      const b = this.buf[this.pos++];
      if (i < 4) {
        lo |= (b & 0x7f) << (7 * i);
      } else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else {
        hi |= (b & 0x7f) << (7 * i - 32);
      }
      if ((b & 0x80) === 0) return { lo: lo >>> 0, hi: hi | 0 };
    }
    throw new WireFormatError('varint longer than 10 bytes');
  }

  /** int64 as a JS number (exact up to 2^53, which covers every value the API uses). */
  int64(): number {
    const { lo, hi } = this.varint64();
    return hi * TWO_POW_32 + lo;
  }

  /** int32: negatives arrive sign-extended to 10 bytes; the low 32 bits carry the value. */
  int32(): number {
    return this.varint64().lo | 0;
  }

  bool(): boolean {
    const { lo, hi } = this.varint64();
    return lo !== 0 || hi !== 0;
  }

  private length(): number {
    const { lo, hi } = this.varint64();
    if (hi !== 0 || lo > this.end - this.pos)
      throw new WireFormatError('length-delimited field runs past the end of its message');
    return lo;
  }

  bytes(): Uint8Array {
    const n = this.length();
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  string(): string {
    return utf8.decode(this.bytes());
  }

  /** A reader over an embedded message; this reader moves past it. */
  message(): WireReader {
    const n = this.length();
    const sub = new WireReader(this.buf, this.pos, this.pos + n);
    this.pos += n;
    return sub;
  }

  skip(wireType: number): void {
    switch (wireType) {
      case WIRE_VARINT:
        this.varint64();
        return;
      case WIRE_FIXED64:
        this.advance(8);
        return;
      case WIRE_BYTES:
        this.advance(this.length());
        return;
      case WIRE_FIXED32:
        this.advance(4);
        return;
      default:
        throw new WireFormatError(`unsupported wire type ${wireType}`);
    }
  }

  private advance(n: number): void {
    if (n > this.end - this.pos) throw new WireFormatError('truncated field');
    this.pos += n;
  }
}
