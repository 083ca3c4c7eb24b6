import { describe, expect, it } from 'vitest';
import { isStatusError, SkiffError } from '../../../api/errors.js';
import type { KubeObject, WatchEvent } from '../../../api/object.js';
import { decodeWatchStream } from '../../../client/watch.js';

async function* chunks(parts: (string | Uint8Array)[]): AsyncGenerator<string | Uint8Array> {
  for (const p of parts) yield p;
}

async function collect(parts: (string | Uint8Array)[]): Promise<WatchEvent[]> {
  const out: WatchEvent[] = [];
  for await (const ev of decodeWatchStream<KubeObject>(chunks(parts))) out.push(ev);
  return out;
}

const line = (type: string, name: string, rv: string): string =>
  `${JSON.stringify({ type, object: { kind: 'Pod', metadata: { name, resourceVersion: rv } } })}\n`;

describe('decodeWatchStream', () => {
  it('decodes events split across chunks at arbitrary points', async () => {
    const text = line('ADDED', 'a', '1') + line('MODIFIED', 'a', '2') + line('DELETED', 'a', '3');
    const parts = [text.slice(0, 7), text.slice(7, 60), text.slice(60, 61), text.slice(61)];
    const events = await collect(parts);
    expect(events.map((e) => `${e.type}:${e.object.metadata.resourceVersion}`)).toEqual([
      'ADDED:1',
      'MODIFIED:2',
      'DELETED:3',
    ]);
  });

  it('decodes several events in one chunk and a last line without newline', async () => {
    const text = line('ADDED', 'a', '1') + line('BOOKMARK', '', '9').trimEnd();
    const events = await collect([text]);
    expect(events.map((e) => e.type)).toEqual(['ADDED', 'BOOKMARK']);
  });

  it('reassembles a multi-byte UTF-8 character split between byte chunks', async () => {
    const bytes = new TextEncoder().encode(line('ADDED', 'é-pod', '1'));
    const cut = bytes.indexOf(0xc3) + 1;
    const events = await collect([bytes.slice(0, cut), bytes.slice(cut)]);
    expect(events[0].object.metadata.name).toBe('é-pod');
  });

  it('throws an ERROR event as a StatusError (410 Expired)', async () => {
    const err = `${JSON.stringify({
      type: 'ERROR',
      object: {
        kind: 'Status',
        apiVersion: 'v1',
        status: 'Failure',
        message: 'too old',
        reason: 'Expired',
        code: 410,
      },
    })}\n`;
    const seen: string[] = [];
    let caught: unknown;
    try {
      for await (const ev of decodeWatchStream(chunks([line('ADDED', 'a', '1'), err]))) seen.push(ev.type);
    } catch (e) {
      caught = e;
    }
    expect(seen).toEqual(['ADDED']);
    expect(isStatusError(caught, 'Expired')).toBe(true);
    expect((caught as { code: number }).code).toBe(410);
  });

  it('rejects a line that is not JSON', async () => {
    await expect(collect(['{"type":"ADDED"\n'])).rejects.toBeInstanceOf(SkiffError);
  });
});
