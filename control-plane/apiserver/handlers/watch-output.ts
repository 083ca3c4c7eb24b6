import type { EventEmitter } from 'node:events';
import { http } from '../../../api/node-http.js';
import { type ApiResponse, isHttp2Response } from '../http-exchange.js';

/** One watch event line, with its HTTP/1.1 chunk framing (size line, data, CRLF) already around it. */
export interface Frame {
  /** The line alone (for responses Node does not chunk, and HTTP/2 DATA frames). */
  data: Buffer;
  /** `<hex size>\r\n<line>\r\n`: the whole chunk, written with one call. */
  chunk: Buffer;
}

const CRLF = Buffer.from('\r\n', 'latin1');

export function frameOf(data: Buffer): Frame {
  const chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]);
  return { data: chunk.subarray(chunk.length - 2 - data.length, chunk.length - 2), chunk };
}

/** What a frame is written to: a socket, an HTTP/2 stream or the response itself. */
interface FrameSink extends EventEmitter {
  write(data: Buffer): boolean;
  cork(): void;
  uncork(): void;
  readonly writableNeedDrain: boolean;
  readonly writableLength: number;
}

/**
 * The body of a streaming response, written a whole frame at a time.
 * - A chunked HTTP/1.1 response that owns its socket gets each frame's pre-built chunk straight
 *   on the socket: one buffer and one TLS record per event and watcher, where `res.write` would
 *   assemble the framing per watcher (four buffers, a cork and a deferred uncork).
 * - An HTTP/2 response gets the bare line on its stream: one DATA frame; the session coalesces
 *   the frames of all its streams written in one tick into one socket write.
 * - Anything else (HTTP/1.0, a response still queued behind a pipelined one) goes through
 *   `res.write` unchanged.
 * `res.end()` still ends the body (terminating chunk, or END_STREAM).
 */
export class WatchOutput {
  private readonly sink: FrameSink;
  /** The sink takes `frame.chunk` (HTTP/1.1 framing included) rather than `frame.data`. */
  private readonly framed: boolean;
  private readonly isClosed: () => boolean;

  constructor(private readonly res: ApiResponse) {
    if (isHttp2Response(res)) {
      const stream = res.stream;
      this.sink = stream;
      this.framed = false;
      this.isClosed = () => stream.destroyed || stream.closed || !stream.writable;
      return;
    }
    const socket = res.socket;
    const owns = res instanceof http.ServerResponse && res.headersSent && res.chunkedEncoding;
    if (owns && socket && !socket.destroyed && socket.writable) {
      this.sink = socket;
      this.framed = true;
      this.isClosed = () => socket.destroyed || !socket.writable;
    } else {
      this.sink = res;
      this.framed = false;
      this.isClosed = () => res.destroyed;
    }
  }

  /** True when the frame went out whole (or into the buffer under its high-water mark). */
  write(frame: Frame): boolean {
    return this.sink.write(this.framed ? frame.chunk : frame.data);
  }

  /** Holds writes until uncork(), which sends them as one write (one TLS record for a burst). */
  cork(): void {
    this.sink.cork();
  }

  uncork(): void {
    this.sink.uncork();
  }

  /** The connection (or the HTTP/2 stream) can take no more writes. */
  get closed(): boolean {
    return this.isClosed();
  }

  /** A write returned false and 'drain' has not come yet. */
  get backedUp(): boolean {
    return this.sink.writableNeedDrain;
  }

  /** Bytes accepted but not yet handed to the kernel (or, on HTTP/2, to the session). */
  get pending(): number {
    return this.sink.writableLength;
  }

  /** Resolves once buffered output drained or the connection (stream) closed. */
  drained(): Promise<void> {
    const sink = this.sink;
    const res = this.res as EventEmitter;
    return new Promise<void>((resolve) => {
      const done = () => {
        sink.off('drain', done);
        sink.off('close', done);
        res.off('close', done);
        resolve();
      };
      if (this.closed) {
        resolve();
        return;
      }
      sink.on('drain', done);
      sink.on('close', done);
      res.on('close', done);
    });
  }
}
