/**
 * A minimal protocol buffers wire-format writer (proto3 scalars, strings and nested messages),
 * writing a whole document into one growable buffer. A nested message is written in place: its
 * length prefix gets the widest slot it could need, and once the message is complete the body
 * moves back over the unused bytes of the slot. So encoding allocates little besides the buffer.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
/** Varint bytes reserved for a nested message's length: enough for 256 MiB. */
const LENGTH_SLOT = 4;
const MAX_MESSAGE = 2 ** (7 * LENGTH_SLOT);

function varintSize(value: number): number {
  let size = 1;
  for (let v = value; v > 0x7f; v = Math.floor(v / 128)) size++;
  return size;
}

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64 * 1024);
  /** Bytes written so far. */
  length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const grown = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(grown, 0, 0, this.length);
    this.buf = grown;
  }

  private varint(value: number): void {
    this.reserve(10);
    let v = value;
    while (v > 0x7f) {
      this.buf[this.length++] = (v & 0x7f) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.length++] = v;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  /** A string field; proto3 leaves out the empty string unless `always`. */
  string(field: number, value: string | undefined, always = false): this {
    if (value === undefined || (value === '' && !always)) return this;
    const size = Buffer.byteLength(value);
    this.tag(field, LENGTH_DELIMITED);
    this.varint(size);
    this.reserve(size);
    this.length += this.buf.write(value, this.length, 'utf8');
    return this;
  }

  strings(field: number, values: readonly string[] | undefined): this {
    for (const v of values ?? []) this.string(field, v, true);
    return this;
  }

  /** A bool field; false is left out unless `always` (a member of a oneof is written even when false). */
  bool(field: number, value: boolean | undefined, always = false): this {
    if (value === undefined || (!value && !always)) return this;
    this.tag(field, VARINT);
    this.varint(value ? 1 : 0);
    return this;
  }

  /** A non-negative int64 field (lengths and counts). */
  int64(field: number, value: number | undefined): this {
    if (value === undefined || value === 0) return this;
    if (!Number.isSafeInteger(value) || value < 0)
      throw new Error(`int64 field ${field}: bad value ${value}`);
    this.tag(field, VARINT);
    this.varint(value);
    return this;
  }

  double(field: number, value: number | undefined): this {
    if (value === undefined || value === 0) return this;
    this.tag(field, FIXED64);
    this.reserve(8);
    this.length = this.buf.writeDoubleLE(value, this.length);
    return this;
  }

  /** An embedded message, written by `body` into this writer; written even when empty. */
  message(field: number, body: (w: this) => void): this {
    this.tag(field, LENGTH_DELIMITED);
    this.reserve(LENGTH_SLOT);
    const slot = this.length;
    this.length += LENGTH_SLOT;
    body(this);
    const size = this.length - slot - LENGTH_SLOT;
    if (size >= MAX_MESSAGE) throw new Error(`protobuf message of ${size} bytes is too large`);
    const used = varintSize(size);
    if (used < LENGTH_SLOT) this.buf.copyWithin(slot + used, slot + LENGTH_SLOT, this.length);
    this.length = slot;
    this.varint(size);
    this.length += size;
    return this;
  }

  /** The bytes written, copied into a buffer of exactly their size. */
  finish(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}
