import { SkiffError } from '../api/errors.js';
import type { WatchEvent, WatchEventType } from '../api/object.js';
import { statusErrorFrom } from './status-error.js';

const TYPES = new Set<WatchEventType>(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

function parseLine<T>(line: string): WatchEvent<T> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch (e) {
    throw new SkiffError(
      'SKIFF_WATCH_DECODE',
      `watch stream carried a line that is not JSON: ${line.slice(0, 200)}`,
      {
        cause: e,
      },
    );
  }
  const ev = parsed as { type?: unknown; object?: unknown };
  if (
    typeof ev?.type !== 'string' ||
    !TYPES.has(ev.type as WatchEventType) ||
    typeof ev.object !== 'object'
  ) {
    throw new SkiffError(
      'SKIFF_WATCH_DECODE',
      `watch stream carried an invalid event: ${line.slice(0, 200)}`,
    );
  }
  if (ev.type === 'ERROR') {
    const code = (ev.object as { code?: number } | null)?.code ?? 500;
    throw statusErrorFrom(code, ev.object);
  }
  return ev as WatchEvent<T>;
}

/**
 * Decodes a watch response body (newline-delimited JSON, arbitrarily chunked) into events.
 * An ERROR event ends the stream by throwing its Status as a `StatusError` (410 Expired → relist).
 */
export async function* decodeWatchStream<T>(
  chunks: AsyncIterable<Uint8Array | string>,
): AsyncGenerator<WatchEvent<T>, void, undefined> {
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of chunks) {
    buffered += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true });
    let newline = buffered.indexOf('\n');
    while (newline >= 0) {
      const line = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (line) yield parseLine<T>(line);
      newline = buffered.indexOf('\n');
    }
  }
  buffered += decoder.decode();
  const rest = buffered.trim();
  if (rest) yield parseLine<T>(rest);
}
