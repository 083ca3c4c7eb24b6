import { createRequire } from 'node:module';
import type { Dispatcher, Agent as UndiciAgent } from 'undici';

// undici's index also loads fetch, WebSocket, EventSource, cookies and the cache API; its cookies
// module reads globalThis.Headers, which makes Node load its own bundled copy of undici as well.
// Together that is about 14 MiB of resident memory in every component that only needs a pooled
// HTTP/1.1 client, so the two modules used are loaded directly (undici is pinned in package.json).
const require = createRequire(import.meta.url);

export const Agent = require('undici/lib/dispatcher/agent.js') as typeof UndiciAgent;

const requestApi = require('undici/lib/api/api-request.js') as (
  this: Dispatcher,
  opts: Dispatcher.RequestOptions,
) => Promise<Dispatcher.ResponseData>;

export type RequestOptions = Omit<Dispatcher.RequestOptions, 'origin' | 'path'>;

/** undici's `request(url, { dispatcher })`, on any dispatcher. */
export function request(
  dispatcher: Dispatcher,
  url: string,
  opts: RequestOptions,
): Promise<Dispatcher.ResponseData> {
  const u = new URL(url);
  return requestApi.call(dispatcher, { ...opts, origin: u.origin, path: `${u.pathname}${u.search}` });
}
