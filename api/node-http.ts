import { createRequire } from 'node:module';

/**
 * node:http, loaded as CommonJS. An ES import of node:http builds the module's namespace, which
 * evaluates its lazy `WebSocket`, `CloseEvent` and `MessageEvent` getters, and those load Node's
 * bundled copy of undici: about 14 MiB of resident memory in every skiff process, for nothing
 * skiff uses. Types still come from `import type ... from 'node:http'`.
 */
export const http = createRequire(import.meta.url)('node:http') as typeof import('node:http');
