// The part of spdy-transport 3.0 (no bundled types) the kubelet's streaming uses: a SPDY/3.1
// client session over an already upgraded socket, one request per stream.
declare module 'spdy-transport' {
  import type { EventEmitter } from 'node:events';
  import type { Duplex } from 'node:stream';

  export interface SpdyStream extends Duplex {
    readonly id: number;
    abort(code?: number, callback?: () => void): void;
  }

  export interface SpdyRequest {
    method: string;
    path: string;
    host: string;
    headers: Record<string, string>;
  }

  export interface SpdyConnection extends EventEmitter {
    start(version: number): void;
    request(uri: SpdyRequest, callback?: (err: Error | null, stream: SpdyStream) => void): SpdyStream;
    end(callback?: () => void): void;
    destroyStreams(err?: Error): void;
  }

  export const connection: {
    create(socket: Duplex, options: { protocol: 'spdy' | 'http2'; isServer: boolean }): SpdyConnection;
  };
}
