import { Duplex } from 'node:stream';
import type { SpdyStream } from 'spdy-transport';
import spdy from 'spdy-transport';
import WebSocket from 'ws';
import { http } from '../../api/node-http.js';
import { statusOfRefusal } from './cri-stream-errors.js';

const { request } = http;

/** Remote-command channels (the numbering of the v4/v5 WebSocket protocols). */
export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;

export interface ChannelHandlers {
  data(channel: number, data: Buffer): void;
  /** Called once, after the last data. */
  close(): void;
}

/**
 * One exec or attach session with the runtime, seen as numbered channels whatever the wire
 * protocol underneath. What arrives before `start` is held and handed over then.
 */
export abstract class CriChannelSession {
  private handlers: ChannelHandlers | undefined;
  private held: [number, Buffer][] = [];
  private ended = false;

  /** stdin (0) or resize (4); `written` is called once the data is handed to the socket. */
  abstract send(channel: number, data: Buffer, written?: () => void): void;
  /** Stops (and resumes) reading the runtime's output, while the client is slow to take it. */
  abstract pauseOutput(): void;
  abstract resumeOutput(): void;
  /** Signals EOF on stdin, if the protocol can; returns whether it could. */
  abstract closeStdin(): boolean;
  abstract close(): void;

  start(handlers: ChannelHandlers): void {
    this.handlers = handlers;
    for (const [c, d] of this.held) handlers.data(c, d);
    this.held = [];
    if (this.ended) handlers.close();
  }

  protected received(channel: number, data: Buffer): void {
    if (this.handlers) this.handlers.data(channel, data);
    else this.held.push([channel, data]);
  }

  protected finished(): void {
    if (this.ended) return;
    this.ended = true;
    this.handlers?.close();
  }
}

export interface StreamKinds {
  stdin: boolean;
  stdout: boolean;
  stderr: boolean;
  tty: boolean;
}

/**
 * WebSocket `v4.channel.k8s.io` to the runtime's URL: frames are passed as they are. v4 has no
 * way to close stdin alone, so `closeStdin` cannot do anything here.
 */
export function connectWebSocketV4(criUrl: string): Promise<CriChannelSession> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(criUrl.replace(/^http/, 'ws'), ['v4.channel.k8s.io']);
    const session = new WebSocketV4Session(ws);
    let refused = false;
    ws.on('unexpected-response', (_req, res) => {
      refused = true;
      statusOfRefusal(res).then(reject, reject);
    });
    ws.on('open', () => resolve(session));
    ws.on('error', (e) => {
      if (!refused) reject(e);
    });
  });
}

class WebSocketV4Session extends CriChannelSession {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (data: Buffer) => {
      if (data.length > 0) this.received(data[0], data.subarray(1));
    });
    ws.on('close', () => this.finished());
  }

  send(channel: number, data: Buffer, written?: () => void): void {
    if (this.ws.readyState === WebSocket.OPEN)
      this.ws.send(Buffer.concat([Buffer.from([channel]), data]), () => written?.());
    else written?.();
  }

  pauseOutput(): void {
    this.ws.pause();
  }

  resumeOutput(): void {
    this.ws.resume();
  }

  closeStdin(): boolean {
    return false;
  }

  close(): void {
    this.ws.close(1000);
  }
}

/**
 * Plain SPDY/3.1 upgrade of a runtime's streaming URL with one stream protocol
 * (`v4.channel.k8s.io`, `portforward.k8s.io`); resolves with the upgraded socket.
 */
export function spdyUpgrade(criUrl: string, protocol: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const req = request(criUrl, {
      method: 'POST',
      headers: { Connection: 'Upgrade', Upgrade: 'SPDY/3.1', 'X-Stream-Protocol-Version': protocol },
    });
    req.on('upgrade', (_res, socket, head) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      statusOfRefusal(res).then(reject, reject);
    });
    req.on('error', reject);
    req.end();
  });
}

/**
 * SPDY with `v4.channel.k8s.io` to the runtime: one stream per kind (error, stdin, stdout, stderr,
 * resize when tty). Unlike WebSocket v4 it can close stdin alone (FIN on the stdin stream), which
 * is how the session learns that the client's input ended.
 */
export async function connectSpdyV4(criUrl: string, kinds: StreamKinds): Promise<CriChannelSession> {
  const session = new SpdyV4Session(await spdyUpgrade(criUrl, 'v4.channel.k8s.io'), kinds);
  try {
    await session.opened;
  } catch (e) {
    session.close();
    throw e;
  }
  return session;
}

/** The private state of spdy-transport's streams and connections that skiff adjusts. */
interface SpdyInternals {
  needResponse?: boolean;
  window: { send: { isEmpty(): boolean } };
}

/** Lets writes go out whatever the peer's flow-control window says. */
function ignoreSendWindow(state: SpdyInternals): void {
  state.window.send.isEmpty = () => false;
}

/** After the runtime's socket closed, how long frames still being parsed may take to come out. */
const SPDY_DRAIN_GRACE_MS = 100;

/**
 * Stands between a socket and spdy-transport, whose streams are destroyed (their unread data
 * dropped) as soon as its socket closes, while header frames are still being inflated
 * asynchronously and the frames behind them wait: this side closes a little later.
 */
function lingeringSocket(socket: Duplex): { wrapper: Duplex; hold(on: boolean): void } {
  let held = false;
  const wrapper = new Duplex({
    autoDestroy: false,
    read() {
      if (!held) socket.resume();
    },
    write(chunk, _enc, cb) {
      if (socket.destroyed) cb();
      else socket.write(chunk, () => cb());
    },
    final(cb) {
      socket.end();
      cb();
    },
    destroy(err, cb) {
      socket.destroy();
      cb(err);
    },
  });
  socket.on('data', (d: Buffer) => {
    if (!wrapper.push(d) || held) socket.pause();
  });
  socket.once('end', () => wrapper.push(null));
  socket.on('error', () => undefined);
  socket.once('close', () => setTimeout(() => wrapper.destroy(), SPDY_DRAIN_GRACE_MS));
  return {
    wrapper,
    hold: (on) => {
      held = on;
      if (on) socket.pause();
      else socket.resume();
    },
  };
}

class SpdyV4Session extends CriChannelSession {
  private readonly stdin: SpdyStream | undefined;
  private readonly resize: SpdyStream | undefined;
  private readonly socket: Duplex;
  private readonly hold: (on: boolean) => void;
  /**
   * Settles once every stream's SYN_STREAM is out. Data written earlier would send its stream's
   * SYN_STREAM ahead of lower ids, and the runtime rejects a stream id lower than one it saw.
   */
  readonly opened: Promise<unknown>;

  constructor(raw: Duplex, kinds: StreamKinds) {
    super();
    const { wrapper: socket, hold } = lingeringSocket(raw);
    this.socket = socket;
    this.hold = hold;
    const conn = spdy.connection.create(socket, { protocol: 'spdy', isServer: false });
    conn.start(3.1);
    // Go's spdystream (the runtime's side) neither sends nor reads WINDOW_UPDATE: it does no flow
    // control, so spdy-transport would stall after the first 64 KiB of stdin waiting for one.
    ignoreSendWindow((conn as unknown as { _spdyState: SpdyInternals })._spdyState);
    conn.on('error', () => socket.destroy());
    const sent: Promise<void>[] = [];
    const open = (streamType: string) => {
      let done: (err: Error | null) => void = () => undefined;
      sent.push(new Promise<void>((resolve, reject) => (done = (err) => (err ? reject(err) : resolve()))));
      const s = conn.request(
        { method: 'POST', path: '/', host: '', headers: { streamtype: streamType } },
        (err) => done(err),
      );
      // The Kubernetes stream server replies without a `:status`, which spdy-transport answers
      // with RST_STREAM; the runtime takes that as stdin closed, and with a tty it then drops the
      // output. Marking the reply as already had keeps the streams open.
      const state = (s as unknown as { _spdyState: SpdyInternals })._spdyState;
      state.needResponse = false;
      ignoreSendWindow(state);
      // A dropped connection errors every open stream; the session ends through the socket's close.
      s.on('error', () => undefined);
      return s;
    };
    const error = open('error');
    this.stdin = kinds.stdin ? open('stdin') : undefined;
    const stdout = kinds.stdout ? open('stdout') : undefined;
    const stderr = kinds.stderr ? open('stderr') : undefined;
    this.resize = kinds.tty ? open('resize') : undefined;
    this.opened = Promise.all(sent);
    error.on('data', (d: Buffer) => this.received(CHANNEL.error, d));
    stdout?.on('data', (d: Buffer) => this.received(CHANNEL.stdout, d));
    stderr?.on('data', (d: Buffer) => this.received(CHANNEL.stderr, d));
    socket.once('close', () => this.finished());
  }

  send(channel: number, data: Buffer, written?: () => void): void {
    const target =
      channel === CHANNEL.stdin ? this.stdin : channel === CHANNEL.resize ? this.resize : undefined;
    if (target && !target.writableEnded && !target.destroyed) target.write(data, () => written?.());
    else written?.();
  }

  pauseOutput(): void {
    this.hold(true);
  }

  resumeOutput(): void {
    this.hold(false);
  }

  closeStdin(): boolean {
    if (this.stdin && !this.stdin.writableEnded) this.stdin.end();
    return true;
  }

  close(): void {
    this.socket.destroy();
  }
}
