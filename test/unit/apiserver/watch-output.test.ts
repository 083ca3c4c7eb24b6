import { createServer, type Server, type ServerResponse } from 'node:http';
import {
  type ClientHttp2Session,
  connect as connectHttp2,
  createServer as createHttp2Server,
  type Http2Server,
  type Http2ServerResponse,
  constants as h2constants,
} from 'node:http2';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { frameOf, WatchOutput } from '../../../control-plane/apiserver/handlers/watch-output.js';
import { writeHead } from '../../../control-plane/apiserver/http-exchange.js';

let server: Server | undefined;

afterEach(async () => {
  await new Promise<void>((resolve) => {
    server?.closeAllConnections();
    server?.close(() => resolve());
    if (!server) resolve();
  });
  server = undefined;
});

/** A server whose every response streams `lines` through a WatchOutput, then ends. */
async function serve(
  lines: string[],
  opts: { chunkedHeader?: boolean; seen?: (res: ServerResponse) => void } = {},
): Promise<number> {
  server = createServer((_req, res) => {
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ...(opts.chunkedHeader === false ? {} : { 'Transfer-Encoding': 'chunked' }),
    });
    res.flushHeaders();
    const out = new WatchOutput(res);
    opts.seen?.(res);
    for (const l of lines) out.write(frameOf(Buffer.from(l)));
    res.end();
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** Sends raw request bytes on one connection and collects everything until `done` says so. */
function exchange(port: number, request: string, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const parts: Buffer[] = [];
    const text = () => Buffer.concat(parts).toString('utf8');
    socket.on('data', (d: Buffer) => {
      parts.push(d);
      if (done(text())) {
        socket.destroy();
        resolve(text());
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(text()));
    socket.write(request);
  });
}

describe('frameOf', () => {
  it('wraps a line in its chunk size line and CRLF, and keeps the line alone', () => {
    const line = Buffer.from('{"type":"ADDED","object":{"é":1}}\n');
    const f = frameOf(line);
    expect(f.chunk.toString('utf8')).toBe(`${line.length.toString(16)}\r\n${line.toString('utf8')}\r\n`);
    expect(f.data.equals(line)).toBe(true);
  });
});

describe('WatchOutput', () => {
  it('writes whole chunks a chunked HTTP/1.1 client decodes, and the connection stays reusable', async () => {
    const lines = ['{"type":"ADDED"}\n', '{"type":"MODIFIED","object":{"a":"ü"}}\n'];
    let direct: boolean | undefined;
    const port = await serve(lines, {
      seen: (res) => {
        direct = res.chunkedEncoding;
      },
    });
    const get = 'GET /w HTTP/1.1\r\nHost: x\r\n\r\n';
    // Two requests on one connection: the first response must end with the terminating chunk.
    const text = await exchange(port, get + get, (t) => t.split('\r\n0\r\n\r\n').length === 3);
    expect(direct).toBe(true);
    const responses = text.split('HTTP/1.1 200 OK').slice(1);
    expect(responses).toHaveLength(2);
    for (const r of responses) {
      const body = r.slice(r.indexOf('\r\n\r\n') + 4);
      expect(body).toBe(
        `${lines.map((l) => `${Buffer.byteLength(l).toString(16)}\r\n${l}\r\n`).join('')}0\r\n\r\n`,
      );
    }
  });

  it('writes the bare lines when Node does not chunk the response (HTTP/1.0)', async () => {
    const lines = ['{"type":"ADDED"}\n', '{"type":"DELETED"}\n'];
    const port = await serve(lines, { chunkedHeader: false });
    const text = await exchange(port, 'GET /w HTTP/1.0\r\nHost: x\r\n\r\n', () => false);
    expect(text.slice(text.indexOf('\r\n\r\n') + 4)).toBe(lines.join(''));
  });

  it('reports pending bytes and resolves drained when a client does not read', async () => {
    // More than loopback's socket buffers can absorb while the client does not read.
    const big = Buffer.alloc(64 * 1024 * 1024, 'x');
    let result: Promise<{ accepted: boolean; pending: number }> | undefined;
    server = createServer((_req, res) => {
      res.writeHead(200, { 'Transfer-Encoding': 'chunked' });
      res.flushHeaders();
      const out = new WatchOutput(res);
      const accepted = out.write(frameOf(big));
      const pending = out.pending;
      result = out.drained().then(() => ({ accepted, pending }));
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const socket = connect(port, '127.0.0.1');
    socket.pause();
    socket.write('GET /w HTTP/1.1\r\nHost: x\r\n\r\n');
    while (!result) await new Promise((r) => setTimeout(r, 10));
    socket.resume();
    const r = await result;
    socket.destroy();
    expect(r.accepted).toBe(false);
    expect(r.pending).toBeGreaterThan(0);
  });
});

describe('WatchOutput on HTTP/2', () => {
  let h2server: Http2Server | undefined;
  let client: ClientHttp2Session | undefined;

  afterEach(async () => {
    client?.destroy();
    client = undefined;
    await new Promise<void>((resolve) => {
      if (!h2server) resolve();
      else h2server.close(() => resolve());
    });
    h2server = undefined;
  });

  /** An h2c server whose responses go to `handle`; resolves with a connected client session. */
  async function h2(handle: (res: Http2ServerResponse) => void): Promise<ClientHttp2Session> {
    h2server = createHttp2Server((_req, res) => {
      writeHead(res, 200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      handle(res);
    });
    await new Promise<void>((resolve) => h2server?.listen(0, '127.0.0.1', resolve));
    const port = (h2server.address() as AddressInfo).port;
    client = connectHttp2(`http://127.0.0.1:${port}`);
    return client;
  }

  it('writes the bare lines as DATA on the stream and ends it with res.end()', async () => {
    const lines = ['{"type":"ADDED"}\n', '{"type":"MODIFIED","object":{"a":"ü"}}\n'];
    const session = await h2((res) => {
      const out = new WatchOutput(res);
      out.cork();
      for (const l of lines) out.write(frameOf(Buffer.from(l)));
      out.uncork();
      res.end();
    });
    const stream = session.request({ ':path': '/w' });
    let headers: Record<string, unknown> = {};
    stream.on('response', (h) => {
      headers = h;
    });
    const body: Buffer[] = [];
    stream.on('data', (d: Buffer) => body.push(d));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(headers[':status']).toBe(200);
    expect(headers['transfer-encoding']).toBeUndefined();
    expect(Buffer.concat(body).toString('utf8')).toBe(lines.join(''));
  });

  it('backs up when the client does not read, and resolves drained once it does', async () => {
    let result: Promise<{ accepted: boolean; backedUp: boolean; pending: number }> | undefined;
    const session = await h2((res) => {
      const out = new WatchOutput(res);
      // Far past the client's 64 KiB stream window and the stream's high-water mark.
      const accepted = out.write(frameOf(Buffer.alloc(1024 * 1024, 'x')));
      const backedUp = out.backedUp;
      const pending = out.pending;
      result = out.drained().then(() => ({ accepted, backedUp, pending }));
    });
    const stream = session.request({ ':path': '/w' });
    stream.pause();
    while (!result) await new Promise((r) => setTimeout(r, 10));
    stream.resume();
    const r = await result;
    expect(r).toMatchObject({ accepted: false, backedUp: true });
    expect(r.pending).toBeGreaterThan(0);
  });

  it('reports closed after the client resets the stream, and later writes do not throw', async () => {
    let out: WatchOutput | undefined;
    let closedRes: Promise<void> | undefined;
    const session = await h2((res) => {
      out = new WatchOutput(res);
      closedRes = new Promise((resolve) => res.on('close', resolve));
      out.write(frameOf(Buffer.from('{"type":"ADDED"}\n')));
    });
    const stream = session.request({ ':path': '/w' });
    await new Promise((resolve) => stream.once('data', resolve));
    stream.close(h2constants.NGHTTP2_CANCEL);
    while (!closedRes) await new Promise((r) => setTimeout(r, 10));
    await closedRes;
    expect(out?.closed).toBe(true);
    await out?.drained();
    expect(() => out?.write(frameOf(Buffer.from('{"type":"DELETED"}\n')))).not.toThrow();
    // The session still serves other streams.
    const again = session.request({ ':path': '/again' });
    const status = await new Promise((resolve) => again.on('response', (h) => resolve(h[':status'])));
    again.close();
    expect(status).toBe(200);
  });
});
