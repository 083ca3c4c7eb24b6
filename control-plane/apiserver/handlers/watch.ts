import { StatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { apiVersionOfResource, type ResourceDef, withTypeMeta } from '../../../api/resources.js';
import type { Table } from '../../../api/tables/index.js';
import { toTable } from '../../../api/tables/index.js';
import type { StoreEvent, StoreWatch } from '../../storage/store.js';
import { isStorageError } from '../../storage/store.js';
import { offerSink } from '../../storage/watch-cache-sink.js';
import { JSON_CONTENT_TYPE, TABLE_CONTENT_TYPE } from '../codec.js';
import { type ApiResponse, isHttp2Response, writeHead } from '../http-exchange.js';
import type { ApiMetrics } from '../metrics.js';
import { type Frame, frameOf, WatchOutput } from './watch-output.js';

/** Upstream's min-request-timeout is 1800 s; watches without timeoutSeconds end at a random point up to twice that. */
const DEFAULT_MIN_TIMEOUT_SECONDS = 1800;

export interface WatchStreamOptions {
  def: ResourceDef;
  table: boolean;
  timeoutSeconds?: number;
  metrics: ApiMetrics;
  translate: (e: unknown) => unknown;
  /**
   * Stored objects as the resource serves them (ResourceStore.fromStorage). It must give the same
   * object for the same stored object, so watchers keep sharing one encoding per event.
   */
  fromStorage?: (obj: KubeObject) => KubeObject;
}

/** Streams store events as newline-delimited JSON watch events until the client leaves or the timeout. */
export async function streamWatch(
  res: ApiResponse,
  watch: StoreWatch,
  opts: WatchStreamOptions,
): Promise<void> {
  const timeout = (opts.timeoutSeconds ?? DEFAULT_MIN_TIMEOUT_SECONDS * (1 + Math.random())) * 1000;
  const timer = setTimeout(() => watch.stop(), timeout);
  const onClose = () => watch.stop();
  res.on('close', onClose);
  // writeHead leaves Transfer-Encoding out on HTTP/2, where the stream frames the body.
  writeHead(res, 200, {
    'Content-Type': opts.table ? TABLE_CONTENT_TYPE : JSON_CONTENT_TYPE,
    'Cache-Control': 'no-cache, private',
    'Transfer-Encoding': 'chunked',
  });
  // An HTTP/2 response sends its HEADERS frame in writeHead already.
  if (!isHttp2Response(res)) res.flushHeaders();
  const out = new WatchOutput(res);
  opts.metrics.watchers.inc({ resource: opts.def.plural });
  let first = true;
  const frameFor = (event: StoreEvent): Frame => {
    let object: KubeObject | Table = event.object;
    if (event.type !== 'BOOKMARK') {
      object = opts.fromStorage ? opts.fromStorage(event.object) : withTypeMeta(opts.def, event.object);
      if (opts.table) {
        const table = toTable(opts.def, [object], { now: new Date() });
        if (!first) table.columnDefinitions = [];
        first = false;
        object = table;
      }
    } else {
      object = {
        kind: opts.def.kind,
        apiVersion: apiVersionOfResource(opts.def),
        metadata: event.object.metadata,
      };
    }
    return opts.table
      ? frameOf(Buffer.from(`${JSON.stringify({ type: event.type, object })}\n`))
      : encodedEvent(event.type, object as KubeObject);
  };
  let finished = false;
  // The watch cache writes to this stream from its fan-out loop while nothing queued is pending.
  let corked = false;
  const sink = {
    consumed: 0,
    offer(event: StoreEvent, batch: boolean): boolean {
      if (finished || out.closed || out.backedUp) return false;
      if (batch && !corked) {
        corked = true;
        out.cork();
      }
      out.write(frameFor(event));
      return true;
    },
    flush(): void {
      if (!corked) return;
      corked = false;
      out.uncork();
    },
  };
  offerSink(watch, sink);
  try {
    for await (const event of watch.events) {
      const ok = out.write(frameFor(event));
      sink.consumed++;
      if (!ok) await out.drained();
      if (out.closed) break;
    }
  } catch (e) {
    const err = isStorageError(e) ? opts.translate(e) : e;
    const status =
      err instanceof StatusError
        ? err.toStatus()
        : {
            kind: 'Status',
            apiVersion: 'v1',
            metadata: {},
            status: 'Failure',
            message: String(err),
            reason: 'InternalError',
            code: 500,
          };
    if (!out.closed)
      out.write(frameOf(Buffer.from(`${JSON.stringify({ type: 'ERROR', object: status })}\n`)));
  } finally {
    finished = true;
    clearTimeout(timer);
    res.off('close', onClose);
    watch.stop();
    opts.metrics.watchers.dec({ resource: opts.def.plural });
    if (!out.closed) res.end();
  }
}

/**
 * One watch-cache event goes to every watcher of the resource: the same object, read-only.
 * Serialising and framing it once and sharing the bytes saves a stringify, a UTF-8 encoding
 * and the chunk assembly per watcher.
 */
const encodedFrames = new WeakMap<object, Map<string, Frame>>();

function encodedEvent(type: string, object: KubeObject): Frame {
  let byType = encodedFrames.get(object);
  if (!byType) {
    byType = new Map();
    encodedFrames.set(object, byType);
  }
  let frame = byType.get(type);
  if (frame === undefined) {
    frame = frameOf(Buffer.from(`${JSON.stringify({ type, object })}\n`));
    byType.set(type, frame);
  }
  return frame;
}
