import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import { decodeProtobufObject } from '../../../api/protobuf/index.js';
import { body, bytes, encode, int32, meta, msg, str } from './wire.js';

function statusOf(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StatusError) return err;
    throw new Error(`expected a StatusError, got ${String(err)}`);
  }
  throw new Error('expected a StatusError, but decoding succeeded');
}

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

describe('decodeProtobufObject: rejected bodies', () => {
  it('rejects a body without the k8s magic with 400 BadRequest', () => {
    const err = statusOf(() => decodeProtobufObject(Buffer.from('{"kind":"Namespace"}')));
    expect(err.code).toBe(400);
    expect(err.reason).toBe('BadRequest');
    expect(err.message).toMatch(/magic/);
    expect(statusOf(() => decodeProtobufObject(new Uint8Array(0))).code).toBe(400);
    expect(statusOf(() => decodeProtobufObject(MAGIC.subarray(0, 3))).code).toBe(400);
  });

  it('rejects a truncated varint with 400', () => {
    // Envelope field 1 (typeMeta) with a length varint whose continuation bit never ends.
    const err = statusOf(() => decodeProtobufObject(Buffer.concat([MAGIC, Buffer.from([0x0a, 0xff, 0xff])])));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/truncated varint/);
  });

  it('rejects a length that runs past the end with 400', () => {
    const full = body('v1', 'Namespace', meta('x'));
    const err = statusOf(() => decodeProtobufObject(full.subarray(0, full.length - 3)));
    expect(err.code).toBe(400);
  });

  it('rejects a field with the wrong wire type with 400', () => {
    // ObjectMeta.name (a string) sent as a varint.
    const err = statusOf(() => decodeProtobufObject(body('v1', 'Namespace', msg(1, int32(1, 5)))));
    expect(err.code).toBe(400);
    expect(err.message).toMatch(/core\.Namespace|meta\.ObjectMeta/);
  });

  it('answers 415 UnsupportedMediaType for a kind it has no decoder for, naming the kind', () => {
    const err = statusOf(() => decodeProtobufObject(body('example.com/v1', 'Widget', meta('w'))));
    expect(err.code).toBe(415);
    expect(err.reason).toBe('UnsupportedMediaType');
    expect(err.message).toContain('Widget');
    expect(err.message).toContain('example.com/v1');
  });

  it('rejects an envelope without apiVersion or kind with 400', () => {
    const unknown = encode(msg(1, str(1, 'v1')), bytes(2, encode(meta('x'))));
    expect(statusOf(() => decodeProtobufObject(Buffer.concat([MAGIC, unknown]))).code).toBe(400);
  });

  it('answers 415 for a content-encoded raw payload', () => {
    const unknown = encode(
      msg(1, str(1, 'v1'), str(2, 'Namespace')),
      bytes(2, encode(meta('x'))),
      str(3, 'gzip'),
    );
    expect(statusOf(() => decodeProtobufObject(Buffer.concat([MAGIC, unknown]))).code).toBe(415);
  });

  it('never crashes on any truncation or single-byte corruption of a real kubectl body', () => {
    const hex = readFileSync(new URL('./fixtures/job-from-cronjob.hex', import.meta.url), 'utf8').trim();
    const good = Buffer.from(hex, 'hex');
    const outcomes = new Set<string>();
    const attempt = (buf: Uint8Array) => {
      try {
        decodeProtobufObject(buf);
        outcomes.add('ok');
      } catch (err) {
        expect(err).toBeInstanceOf(StatusError);
        outcomes.add(String((err as StatusError).code));
      }
    };
    for (let n = 0; n < good.length; n++) attempt(good.subarray(0, n));
    for (let i = 4; i < good.length; i += 7) {
      for (const b of [0x00, 0x7f, 0x80, 0xff]) {
        const bad = Buffer.from(good);
        bad[i] = b;
        attempt(bad);
      }
    }
    expect(outcomes.has('400')).toBe(true);
    expect([...outcomes].every((o) => o === 'ok' || o === '400' || o === '415')).toBe(true);
  });
});

describe('decodeProtobufObject: hostile map keys', () => {
  it('keeps a "__proto__" label as an ordinary key', () => {
    const obj = decodeProtobufObject(
      body('v1', 'Namespace', msg(1, str(1, 'x'), msg(11, str(1, '__proto__'), str(2, 'v')))),
    );
    const labels = obj.metadata.labels as Record<string, string>;
    expect(Object.getPrototypeOf(labels)).toBe(Object.prototype);
    expect(Object.keys(labels)).toEqual(['__proto__']);
    expect(JSON.parse(JSON.stringify(obj)).metadata.labels).toEqual(JSON.parse('{"__proto__":"v"}'));
  });
});
