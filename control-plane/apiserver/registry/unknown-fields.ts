import { badRequest } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { findUnknownFields } from '../../../api/openapi/index.js';
import type { RequestContext } from './context.js';

/**
 * Applies fieldValidation: Strict rejects unknown fields with 400, Warn and Ignore drop them
 * (Warn also adds a warning), as decoding into typed structs does upstream.
 */
export function enforceKnownFields(obj: KubeObject, definition: string, ctx: RequestContext): void {
  const unknown = findUnknownFields(obj, definition);
  if (unknown.length === 0) return;
  if (ctx.fieldValidation === 'Strict') {
    const list = unknown.map((p) => `unknown field "${p}"`).join(', ');
    throw badRequest(`strict decoding error: ${list}`);
  }
  for (const path of unknown) {
    if (ctx.fieldValidation === 'Warn') ctx.warnings.push(`unknown field "${path}"`);
    removePath(obj, parsePath(path));
  }
}

type Segment = string | number;

/** `spec.containers[0].foo` -> ['spec', 'containers', 0, 'foo'] */
export function parsePath(path: string): Segment[] {
  const segments: Segment[] = [];
  const re = /([^.[\]]+)|\[(\d+)\]/g;
  for (const m of path.matchAll(re)) {
    if (m[2] !== undefined) segments.push(Number(m[2]));
    else segments.push(m[1]);
  }
  return segments;
}

function removePath(root: unknown, segments: Segment[]): void {
  let node: unknown = root;
  for (let i = 0; i < segments.length - 1; i++) {
    if (node === null || typeof node !== 'object') return;
    node = (node as Record<string | number, unknown>)[segments[i]];
  }
  if (node !== null && typeof node === 'object') {
    delete (node as Record<string | number, unknown>)[segments[segments.length - 1]];
  }
}
