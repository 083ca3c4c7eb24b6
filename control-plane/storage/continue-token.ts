import { badRequest } from '../../api/errors.js';

/** The list continue token, shaped as upstream's: the snapshot revision and the next key relative to the prefix. */
export interface ContinueToken {
  rv: number;
  start: string;
}

export function encodeContinue(rv: number, nextKey: string, prefix: string): string {
  const json = JSON.stringify({ v: 'meta.k8s.io/v1', rv, start: nextKey.slice(prefix.length) });
  return Buffer.from(json).toString('base64url');
}

export function decodeContinue(token: string, prefix: string): { rv: number; startKey: string } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw badRequest('continue key is not valid: not base64 encoded JSON');
  }
  const t = parsed as { v?: unknown; rv?: unknown; start?: unknown };
  if (t.v !== 'meta.k8s.io/v1')
    throw badRequest(
      'continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)',
    );
  if (typeof t.rv !== 'number' || !Number.isSafeInteger(t.rv) || t.rv <= 0)
    throw badRequest('continue key is not valid: incorrect encoded start resourceVersion');
  if (typeof t.start !== 'string' || t.start.length === 0)
    throw badRequest('continue key is not valid: encoded start key empty');
  // The start key must stay under the prefix: no path traversal out of it.
  const cleaned = t.start.replace(/^\/+/, '');
  if (cleaned.split('/').some((s) => s === '..' || s === '.'))
    throw badRequest('continue key is not valid: encoded start key is not valid');
  return { rv: t.rv, startKey: prefix + cleaned };
}
