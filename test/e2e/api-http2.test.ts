import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  constants as h2,
  connect as http2Connect,
  type IncomingHttpHeaders,
} from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { KUBECTL } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

interface ClientTls {
  ca: string;
  cert: string;
  key: string;
}

let server: TestServer;
let tls: ClientTls;

/** The admin credentials as kubectl reads them: from the kubeconfig's embedded data fields. */
async function tlsFromKubeconfig(path: string): Promise<ClientTls> {
  const kc = parseYaml(await readFile(path, 'utf8'));
  const b64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
  return {
    ca: b64(kc.clusters[0].cluster['certificate-authority-data']),
    cert: b64(kc.users[0].user['client-certificate-data']),
    key: b64(kc.users[0].user['client-key-data']),
  };
}

function h2Session(port: number, creds: Partial<ClientTls>): Promise<ClientHttp2Session> {
  return new Promise((resolve, reject) => {
    const session = http2Connect(`https://127.0.0.1:${port}`, { ...creds, servername: 'localhost' });
    session.once('connect', () => resolve(session));
    session.once('error', reject);
  });
}

/** One HTTP/2 request: status, headers and the whole body. */
function h2Request(
  session: ClientHttp2Session,
  method: string,
  path: string,
  body?: unknown,
): Promise<{ status: number; headers: IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const stream = session.request({
      ':method': method,
      ':path': path,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    });
    let headers: IncomingHttpHeaders = {};
    let text = '';
    stream.setEncoding('utf8');
    stream.on('response', (h) => {
      headers = h;
    });
    stream.on('data', (d: string) => {
      text += d;
    });
    stream.on('end', () => resolve({ status: Number(headers[':status']), headers, text }));
    stream.on('error', reject);
    stream.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

/** A watch on one HTTP/2 stream: its response headers and the event lines as they arrive. */
function h2Watch(
  session: ClientHttp2Session,
  path: string,
): {
  stream: ClientHttp2Stream;
  headers: Promise<IncomingHttpHeaders>;
  events: { type: string; name: string }[];
} {
  const stream = session.request({ ':method': 'GET', ':path': path });
  const events: { type: string; name: string }[] = [];
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    partial += d;
    for (let nl = partial.indexOf('\n'); nl >= 0; nl = partial.indexOf('\n')) {
      const e = JSON.parse(partial.slice(0, nl));
      events.push({ type: e.type, name: e.object?.metadata?.name });
      partial = partial.slice(nl + 1);
    }
  });
  stream.on('error', () => {});
  const headers = new Promise<IncomingHttpHeaders>((resolve) => stream.once('response', resolve));
  return { stream, headers, events };
}

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** One HTTP/1.1 request (ALPN offers only http/1.1): status, protocol version and body. */
function h1Get(
  port: number,
  path: string,
  creds: ClientTls,
): Promise<{ status: number; version: string; alpn: string | false; text: string }> {
  // https.request hands TLS options such as ALPNProtocols to tls.connect; its typings omit them.
  const options: RequestOptions & ConnectionOptions = {
    host: '127.0.0.1',
    port,
    path,
    ...creds,
    servername: 'localhost',
    ALPNProtocols: ['http/1.1'],
  };
  return new Promise((resolve, reject) => {
    const req = httpsRequest(options, (res) => {
      const alpn = (res.socket as unknown as { alpnProtocol: string | false }).alpnProtocol;
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          version: res.httpVersion,
          alpn,
          text,
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  server = await startSkiffServer();
  tls = await tlsFromKubeconfig(server.kubeconfig);
});

afterAll(async () => {
  await server?.stop();
});

describe('HTTP/2 on the secure port', () => {
  it('negotiates h2 by ALPN and authenticates the client certificate on every stream', async () => {
    const session = await h2Session(server.port, tls);
    try {
      expect(session.alpnProtocol).toBe('h2');
      const [ns, list] = await Promise.all([
        h2Request(session, 'GET', '/api/v1/namespaces/default'),
        h2Request(session, 'GET', '/api/v1/namespaces'),
      ]);
      expect(ns.status).toBe(200);
      expect(JSON.parse(ns.text).metadata.name).toBe('default');
      expect(list.status).toBe(200);
      expect(
        JSON.parse(list.text).items.map((n: { metadata: { name: string } }) => n.metadata.name),
      ).toContain('kube-system');
      const created = await h2Request(session, 'POST', '/api/v1/namespaces/default/configmaps', {
        metadata: { name: 'over-h2' },
        data: { a: 'b' },
      });
      expect(created.status).toBe(201);
      const missing = await h2Request(session, 'GET', '/api/v1/namespaces/default/configmaps/nope');
      expect(missing.status).toBe(404);
      expect(JSON.parse(missing.text)).toMatchObject({ kind: 'Status', reason: 'NotFound' });
    } finally {
      session.close();
    }
  });

  it('answers 401 to an HTTP/2 client without credentials', async () => {
    const session = await h2Session(server.port, { ca: tls.ca });
    try {
      expect(session.alpnProtocol).toBe('h2');
      const res = await h2Request(session, 'GET', '/api/v1/namespaces');
      expect(res.status).toBe(401);
    } finally {
      session.close();
    }
  });

  it('streams watch events on several streams of one connection, and survives a reset stream', async () => {
    const session = await h2Session(server.port, tls);
    try {
      const path = '/api/v1/namespaces/default/configmaps?watch=true&labelSelector=h2%3Dwatch';
      const a = h2Watch(session, path);
      const b = h2Watch(session, path);
      const gone = h2Watch(session, path);
      for (const w of [a, b, gone]) {
        const headers = await w.headers;
        expect(headers[':status']).toBe(200);
        expect(headers['transfer-encoding']).toBeUndefined();
      }
      gone.stream.close(h2.NGHTTP2_CANCEL);
      for (const name of ['w1', 'w2']) {
        const res = await h2Request(session, 'POST', '/api/v1/namespaces/default/configmaps', {
          metadata: { name, labels: { h2: 'watch' } },
        });
        expect(res.status).toBe(201);
      }
      await until('both watches to see both objects', () => a.events.length >= 2 && b.events.length >= 2);
      for (const w of [a, b]) {
        expect(w.events).toEqual([
          { type: 'ADDED', name: 'w1' },
          { type: 'ADDED', name: 'w2' },
        ]);
      }
      // The connection and the server outlive the cancelled stream.
      expect((await h2Request(session, 'GET', '/api/v1/namespaces/default/configmaps/w2')).status).toBe(200);
      a.stream.close(h2.NGHTTP2_CANCEL);
      b.stream.close(h2.NGHTTP2_CANCEL);
    } finally {
      session.close();
    }
  });

  it('still serves HTTP/1.1 clients on the same port', async () => {
    const res = await h1Get(server.port, '/api/v1/namespaces/default', tls);
    expect(res.alpn).toBe('http/1.1');
    expect(res.version).toBe('1.1');
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).metadata.name).toBe('default');
  });

  it('is what kubectl uses', async () => {
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(KUBECTL, ['--kubeconfig', server.kubeconfig, 'get', 'namespaces'], {
        env: { ...process.env, GODEBUG: 'http2debug=1' },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let err = '';
      child.stderr.on('data', (d) => {
        err += d;
      });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(err) : reject(new Error(`kubectl: ${code} ${err}`))));
    });
    expect(stderr).toMatch(/http2: Transport creating client conn/);
    expect(stderr).toMatch(/http2: Transport received SETTINGS .*MAX_CONCURRENT_STREAMS=1000/);
    expect(stderr).toMatch(/http2: Transport received HEADERS flags=END_HEADERS stream=1/);
  });
});

describe('--disable-http2-serving', () => {
  it('serves HTTP/1.1 only', async () => {
    const h1only = await startSkiffServer(['--disable-http2-serving']);
    try {
      const creds = await tlsFromKubeconfig(h1only.kubeconfig);
      const session = http2Connect(`https://127.0.0.1:${h1only.port}`, { ...creds, servername: 'localhost' });
      const failure = await new Promise<Error>((resolve) => session.once('error', resolve));
      session.destroy();
      expect(failure.message).toMatch(/ALPN|protocol/i);
      expect((await h1Get(h1only.port, '/api/v1/namespaces/default', creds)).status).toBe(200);
    } finally {
      await h1only.stop();
    }
  });
});
