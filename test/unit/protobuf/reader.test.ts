import protobuf from 'protobufjs/minimal.js';
import { describe, expect, it } from 'vitest';
import { WireFormatError, WireReader } from '../../../api/protobuf/reader.js';

const write = (fn: (w: protobuf.Writer) => void): Uint8Array => {
  const w = protobuf.Writer.create();
  fn(w);
  return w.finish();
};

describe('WireReader', () => {
  it('reads negative int32 and int64 from 10-byte varints', () => {
    const buf = write((w) => w.int32(-1).int64(-1).int32(-2147483648).int64(-1234567890123));
    expect(buf.length).toBe(40);
    const r = new WireReader(buf);
    expect(r.int32()).toBe(-1);
    expect(r.int64()).toBe(-1);
    expect(r.int32()).toBe(-2147483648);
    expect(r.int64()).toBe(-1234567890123);
    expect(r.done).toBe(true);
  });

  it('reads large positive int64 values exactly up to 2^53', () => {
    const r = new WireReader(
      write((w) =>
        w
          .int64(2 ** 53 - 1)
          .int64(4294967296)
          .uint32(300),
      ),
    );
    expect(r.int64()).toBe(2 ** 53 - 1);
    expect(r.int64()).toBe(4294967296);
    expect(r.int32()).toBe(300);
  });

  it('reads tags, strings, bytes and nested messages', () => {
    const buf = write((w) => {
      w.uint32((1 << 3) | 2).string('héllo');
      w.uint32((2 << 3) | 2)
        .fork()
        .uint32((7 << 3) | 0)
        .bool(true)
        .ldelim();
      w.uint32((3 << 3) | 2).bytes(Uint8Array.from([1, 2]));
    });
    const r = new WireReader(buf);
    expect(r.tag()).toEqual({ field: 1, wireType: 2 });
    expect(r.string()).toBe('héllo');
    expect(r.tag()).toEqual({ field: 2, wireType: 2 });
    const sub = r.message();
    expect(sub.tag()).toEqual({ field: 7, wireType: 0 });
    expect(sub.bool()).toBe(true);
    expect(sub.done).toBe(true);
    expect(r.tag()).toEqual({ field: 3, wireType: 2 });
    expect([...r.bytes()]).toEqual([1, 2]);
    expect(r.done).toBe(true);
  });

  it('skips wire types 0, 1, 2 and 5 and refuses groups', () => {
    const buf = write((w) => w.int64(-5).fixed64(9).string('skip').fixed32(3).uint32(42));
    const r = new WireReader(buf);
    r.skip(0);
    r.skip(1);
    r.skip(2);
    r.skip(5);
    expect(r.int32()).toBe(42);
    expect(() => new WireReader(Uint8Array.from([0])).skip(3)).toThrow(WireFormatError);
  });

  it('throws WireFormatError on truncation instead of reading past the end', () => {
    expect(() => new WireReader(Uint8Array.from([0x80, 0x80])).int64()).toThrow(/truncated varint/);
    expect(() => new WireReader(Uint8Array.from(Array(11).fill(0xff))).int64()).toThrow(
      /longer than 10 bytes/,
    );
    expect(() => new WireReader(Uint8Array.from([0x05, 0x61])).string()).toThrow(WireFormatError);
    expect(() => new WireReader(Uint8Array.from([0x01])).skip(1)).toThrow(/truncated/);
    // Bounds of an embedded message hold even though the underlying buffer continues.
    const outer = new WireReader(Uint8Array.from([0x02, 0x08, 0x96, 0x01]));
    const inner = outer.message();
    expect(inner.tag()).toEqual({ field: 1, wireType: 0 });
    expect(() => inner.int32()).toThrow(/truncated varint/);
  });

  it('rejects field number 0', () => {
    expect(() => new WireReader(Uint8Array.from([0x02])).tag()).toThrow(/invalid field tag/);
  });
});
