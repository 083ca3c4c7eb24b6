import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { http } from '../../api/node-http.js';

const { request } = http;

/**
 * Sends the client's upgrade request (WebSocket or SPDY, with its protocol headers) to a fresh
 * CRI streaming URL and, on 101, joins the two sockets: the runtime then speaks to the client
 * directly, so nothing of the protocol has to be understood here. A refusal is passed back as is.
 */
export function replayUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  criUrl: string,
): Promise<void> {
  const url = new URL(criUrl);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && k !== 'host' && k !== 'content-length') headers[k] = v;
  headers.host = url.host;
  return new Promise((resolve) => {
    const upstream = request(url, { method: req.method, headers });
    upstream.on('upgrade', (res, socket, upHead) => {
      const lines = [`HTTP/1.1 ${res.statusCode ?? 101} ${res.statusMessage || 'Switching Protocols'}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      client.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (upHead.length > 0) client.write(upHead);
      if (head.length > 0) socket.write(head);
      joinSockets(client, socket);
      socket.once('close', () => resolve());
    });
    upstream.on('response', (res) => {
      const lines = [`HTTP/1.1 ${res.statusCode ?? 502} ${res.statusMessage ?? ''}`];
      for (let i = 0; i < res.rawHeaders.length; i += 2) {
        const name = res.rawHeaders[i].toLowerCase();
        if (name !== 'connection' && name !== 'transfer-encoding' && name !== 'content-length')
          lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}`);
      }
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks);
        lines.push(`Content-Length: ${body.length}`, 'Connection: close');
        client.end(Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), body]));
        resolve();
      });
    });
    upstream.on('error', () => {
      client.destroy();
      resolve();
    });
    upstream.end();
  });
}

/** Pipes two sockets into each other; when either side closes or fails, both go. */
export function joinSockets(a: Duplex, b: Duplex): void {
  a.pipe(b);
  b.pipe(a);
  const done = () => {
    a.destroy();
    b.destroy();
  };
  for (const s of [a, b]) s.once('close', done).on('error', done);
}
