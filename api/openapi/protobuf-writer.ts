/**
 * A minimal protocol buffers wire-format writer (proto3 scalars, strings and nested messages).
 * A nested message is written into its own writer and appended by reference, so a document is
 * copied once, when `finish()` joins the pieces.
 */

const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;

const encoder = new TextEncoder();

export class ProtoWriter {
  private readonly parts: Uint8Array[] = [];
  private pending: number[] = [];
  /** Bytes written so far. */
  length = 0;

  private flush(): void {
    if (this.pending.length === 0) return;
    this.parts.push(Uint8Array.from(this.pending));
    this.pending = [];
  }

  private varint(value: number): void {
    let v = value;
    while (v > 0x7f) {
      this.pending.push((v & 0x7f) | 0x80);
      this.length++;
      v = Math.floor(v / 128);
    }
    this.pending.push(v);
    this.length++;
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  private append(bytes: Uint8Array): void {
    this.flush();
    this.parts.push(bytes);
    this.length += bytes.length;
  }

  /** A string field; proto3 leaves out the empty string unless `always`. */
  string(field: number, value: string | undefined, always = false): this {
    if (value === undefined || (value === '' && !always)) return this;
    const bytes = encoder.encode(value);
    this.tag(field, LENGTH_DELIMITED);
    this.varint(bytes.length);
    if (bytes.length > 0) this.append(bytes);
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
    const bytes = new Uint8Array(8);
    new DataView(bytes.buffer).setFloat64(0, value, true);
    this.tag(field, FIXED64);
    this.append(bytes);
    return this;
  }

  /** An embedded message, written even when empty (its presence can matter). */
  message(field: number, body: ProtoWriter | undefined): this {
    if (!body) return this;
    body.flush();
    this.tag(field, LENGTH_DELIMITED);
    this.varint(body.length);
    this.flush();
    for (const p of body.parts) this.parts.push(p);
    this.length += body.length;
    return this;
  }

  finish(): Uint8Array {
    this.flush();
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const p of this.parts) {
      out.set(p, offset);
      offset += p.length;
    }
    return out;
  }
}
