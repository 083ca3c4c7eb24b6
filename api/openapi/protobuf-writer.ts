/**
 * A minimal protocol buffers wire-format writer (proto3 scalars, strings and nested messages).
 * Each message is written into its own growable buffer; a nested message is copied into its
 * parent once finished, since its length prefix must come first.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

export class ProtoWriter {
  private buf = Buffer.allocUnsafe(64);
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

  /** An embedded message, written even when empty (its presence can matter). */
  message(field: number, body: ProtoWriter | undefined): this {
    if (!body) return this;
    this.tag(field, LENGTH_DELIMITED);
    this.varint(body.length);
    this.reserve(body.length);
    this.length += body.buf.copy(this.buf, this.length, 0, body.length);
    return this;
  }

  /** The bytes written, as a view of the writer's buffer. */
  finish(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}
