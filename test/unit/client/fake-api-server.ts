import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../../../api/object.js';

interface Watcher {
  collection: string;
  res: ServerResponse;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason,
      message,
      code,
    }),
  );
}

function json(res: ServerResponse, code: number, body: unknown): void {
  res.writeHead(code, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const c of req) parts.push(c as Buffer);
  const text = Buffer.concat(parts).toString('utf8');
  return text ? JSON.parse(text) : undefined;
}

/**
 * A tiny in-memory API server for client tests: real HTTP, fake logic. Collections are
 * registered by path; it serves paged lists, watch streams that tests push events into, and
 * get/create/update (with resourceVersion preconditions)/delete on items.
 */
export class FakeApiServer {
  private server: Server | undefined;
  private readonly collections = new Map<string, Map<string, KubeObject>>();
  private watchers: Watcher[] = [];
  private rv = 100;
  /** Watches from a resourceVersion below this get a 410 ERROR event. */
  compactedRv = 0;
  /** While > 0, each request is answered 503 and the count goes down. */
  failRequests = 0;
  /** While true, every request is answered 503. */
  down = false;
  readonly requests: RecordedRequest[] = [];
  url = '';

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((e) => status(res, 500, 'InternalError', String(e)));
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.url;
  }

  async stop(): Promise<void> {
    for (const w of this.watchers) w.res.end();
    this.watchers = [];
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  collection(path: string): void {
    this.collections.set(path, new Map());
  }

  get currentRv(): number {
    return this.rv;
  }

  item(collection: string, name: string): KubeObject | undefined {
    return this.items(collection).get(name);
  }

  /** Stores an object with a new resourceVersion; notifies watchers unless `silent`. */
  put(collection: string, obj: KubeObject, opts: { silent?: boolean } = {}): KubeObject {
    const items = this.items(collection);
    const name = obj.metadata.name as string;
    const existed = items.has(name);
    const stored: KubeObject = structuredClone(obj);
    stored.metadata.resourceVersion = String(++this.rv);
    items.set(name, stored);
    if (!opts.silent) this.notify(collection, existed ? 'MODIFIED' : 'ADDED', stored);
    return stored;
  }

  remove(collection: string, name: string, opts: { silent?: boolean } = {}): void {
    const items = this.items(collection);
    const old = items.get(name);
    if (!old) return;
    items.delete(name);
    const gone = structuredClone(old);
    gone.metadata.resourceVersion = String(++this.rv);
    if (!opts.silent) this.notify(collection, 'DELETED', gone);
  }

  bookmark(collection: string): void {
    this.notify(collection, 'BOOKMARK', { kind: 'Pod', metadata: { resourceVersion: String(++this.rv) } });
  }

  /** Sends a 410 Expired ERROR event on every open watch of the collection and closes them. */
  expireWatches(collection: string): void {
    this.compactedRv = this.rv;
    for (const w of this.watchers.filter((x) => x.collection === collection)) {
      w.res.end(`${JSON.stringify({ type: 'ERROR', object: this.expiredStatus() })}\n`);
    }
    this.watchers = this.watchers.filter((x) => x.collection !== collection);
  }

  /** Ends every open watch of the collection normally (as a server timeout would). */
  closeWatches(collection: string): void {
    for (const w of this.watchers.filter((x) => x.collection === collection)) w.res.end();
    this.watchers = this.watchers.filter((x) => x.collection !== collection);
  }

  openWatches(collection: string): number {
    return this.watchers.filter((x) => x.collection === collection && !x.res.writableEnded).length;
  }

  private expiredStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      reason: 'Expired',
      message: 'too old resource version',
      code: 410,
    };
  }

  private items(collection: string): Map<string, KubeObject> {
    const items = this.collections.get(collection);
    if (!items) throw new Error(`unknown collection ${collection}`);
    return items;
  }

  private notify(collection: string, type: string, object: KubeObject): void {
    for (const w of this.watchers) {
      if (w.collection === collection) w.res.write(`${JSON.stringify({ type, object })}\n`);
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path: url.pathname, query: url.searchParams });
    if (this.down || this.failRequests > 0) {
      if (this.failRequests > 0) this.failRequests--;
      status(res, 503, 'ServiceUnavailable', 'down for the test');
      return;
    }
    const path = url.pathname;
    if (this.collections.has(path)) {
      if (method === 'GET' && url.searchParams.get('watch') === 'true') return this.watch(path, url, res);
      if (method === 'GET') return this.list(path, url, res);
      if (method === 'POST') {
        const obj = (await readBody(req)) as KubeObject;
        if (this.items(path).has(obj.metadata.name as string)) {
          status(res, 409, 'AlreadyExists', `"${obj.metadata.name}" already exists`);
          return;
        }
        json(res, 201, this.put(path, { ...obj, metadata: { ...obj.metadata, uid: `uid-${this.rv}` } }));
        return;
      }
    }
    const slash = path.lastIndexOf('/');
    const collection = path.slice(0, slash);
    const name = decodeURIComponent(path.slice(slash + 1));
    if (!this.collections.has(collection)) {
      status(res, 404, 'NotFound', `no route ${path}`);
      return;
    }
    const current = this.items(collection).get(name);
    if (method === 'GET') {
      if (!current) status(res, 404, 'NotFound', `"${name}" not found`);
      else json(res, 200, current);
      return;
    }
    if (method === 'PUT') {
      const obj = (await readBody(req)) as KubeObject;
      if (!current) {
        status(res, 404, 'NotFound', `"${name}" not found`);
        return;
      }
      if (obj.metadata.resourceVersion !== current.metadata.resourceVersion) {
        status(
          res,
          409,
          'Conflict',
          `Operation cannot be fulfilled on "${name}": the object has been modified`,
        );
        return;
      }
      json(res, 200, this.put(collection, obj));
      return;
    }
    if (method === 'PATCH') {
      if (!current) {
        status(res, 404, 'NotFound', `"${name}" not found`);
        return;
      }
      const patch = (await readBody(req)) as Record<string, unknown>;
      json(res, 200, this.put(collection, { ...current, ...patch, metadata: current.metadata }));
      return;
    }
    if (method === 'DELETE') {
      if (!current) status(res, 404, 'NotFound', `"${name}" not found`);
      else {
        this.remove(collection, name);
        json(res, 200, current);
      }
      return;
    }
    status(res, 405, 'MethodNotAllowed', method);
  }

  private list(collection: string, url: URL, res: ServerResponse): void {
    const all = [...this.items(collection).values()].sort((a, b) =>
      String(a.metadata.name).localeCompare(String(b.metadata.name)),
    );
    const limit = Number(url.searchParams.get('limit') ?? 0);
    const offset = Number(url.searchParams.get('continue') ?? 0);
    const items = limit > 0 ? all.slice(offset, offset + limit) : all.slice(offset);
    const next = limit > 0 && offset + limit < all.length ? String(offset + limit) : undefined;
    json(res, 200, {
      kind: 'List',
      apiVersion: 'v1',
      metadata: { resourceVersion: String(this.rv), ...(next ? { continue: next } : {}) },
      items,
    });
  }

  private watch(collection: string, url: URL, res: ServerResponse): void {
    const from = Number(url.searchParams.get('resourceVersion') ?? 0);
    res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
    if (from && from < this.compactedRv) {
      res.end(`${JSON.stringify({ type: 'ERROR', object: this.expiredStatus() })}\n`);
      return;
    }
    res.flushHeaders();
    this.watchers.push({ collection, res });
  }
}

/** Polls `cond` until it holds or `ms` pass. */
export async function eventually(cond: () => boolean, ms = 3000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
