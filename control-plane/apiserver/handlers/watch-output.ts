import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { http } from '../../../api/node-http.js';

/** One watch event line, with its HTTP/1.1 chunk framing (size line, data, CRLF) already around it. */
export interface Frame {
  /** The line alone (for responses Node does not chunk). */
  data: Buffer;
  /** `<hex size>\r\n<line>\r\n`: the whole chunk, written with one call. */
  chunk: Buffer;
}

const CRLF = Buffer.from('\r\n', 'latin1');

export function frameOf(data: Buffer): Frame {
  const chunk = Buffer.concat([Buffer.from(`${data.length.toString(16)}\r\n`, 'latin1'), data, CRLF]);
  return { data: chunk.subarray(chunk.length - 2 - data.length, chunk.length - 2), chunk };
}

/**
 * The body of a streaming response, written a whole frame at a time. A chunked HTTP/1.1
 * response that owns its socket gets each frame's pre-built chunk straight on the socket: one
 * buffer and one TLS record per event and watcher, where `res.write` would assemble the
 * framing per watcher (four buffers, a cork and a deferred uncork). Anything else (HTTP/1.0,
 * a response still queued behind a pipelined one, a non-node:http response) goes through
 * `res.write` unchanged. `res.end()` still writes the terminating chunk.
 */
export class WatchOutput {
  private readonly socket: Duplex | undefined;

  constructor(private readonly res: ServerResponse) {
    const socket = res.socket;
    const owns = res instanceof http.ServerResponse && res.headersSent && res.chunkedEncoding;
    this.socket = owns && socket && !socket.destroyed && socket.writable ? socket : undefined;
  }

  /** True when the frame went out whole (or into the socket buffer under its high-water mark). */
  write(frame: Frame): boolean {
    return this.socket ? this.socket.write(frame.chunk) : this.res.write(frame.data);
  }

  /** Holds writes until uncork(), which sends them as one write (one TLS record for a burst). */
  cork(): void {
    if (this.socket) this.socket.cork();
    else this.res.cork();
  }

  uncork(): void {
    if (this.socket) this.socket.uncork();
    else this.res.uncork();
  }

  /** The connection can take no more writes. */
  get closed(): boolean {
    return this.socket ? this.socket.destroyed || !this.socket.writable : this.res.destroyed;
  }

  /** A write returned false and 'drain' has not come yet. */
  get backedUp(): boolean {
    return this.socket ? this.socket.writableNeedDrain : this.res.writableNeedDrain;
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pending(): number {
    return this.socket ? this.socket.writableLength : this.res.writableLength;
  }

  /** Resolves once buffered output drained or the connection closed. */
  drained(): Promise<void> {
    const emitter = this.socket ?? this.res;
    return new Promise<void>((resolve) => {
      const done = () => {
        emitter.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      emitter.on('drain', done);
      this.res.on('close', done);
    });
  }
}
