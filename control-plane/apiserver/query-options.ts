import { badRequest } from '../../api/errors.js';
import type { FieldValidation } from './registry/context.js';

/** Query parameters of list/watch requests, checked. */
export interface ListQuery {
  labelSelector: string;
  fieldSelector: string;
  resourceVersion?: string;
  resourceVersionMatch?: 'Exact' | 'NotOlderThan';
  limit?: number;
  continue?: string;
  watch: boolean;
  allowWatchBookmarks: boolean;
  sendInitialEvents: boolean;
  timeoutSeconds?: number;
}

export function parseListQuery(q: URLSearchParams): ListQuery {
  const match = q.get('resourceVersionMatch') ?? undefined;
  if (match !== undefined && match !== 'Exact' && match !== 'NotOlderThan') {
    throw badRequest(
      `resourceVersionMatch: Unsupported value: "${match}": supported values: "Exact", "NotOlderThan"`,
    );
  }
  const resourceVersion = q.get('resourceVersion') ?? undefined;
  if (resourceVersion !== undefined && resourceVersion !== '' && !/^\d+$/.test(resourceVersion)) {
    throw badRequest(`resourceVersion: Invalid value: "${resourceVersion}": must be a non-negative integer`);
  }
  if (match && !resourceVersion) {
    throw badRequest('resourceVersionMatch is forbidden unless resourceVersion is provided');
  }
  const cont = q.get('continue') || undefined;
  if (cont && resourceVersion && resourceVersion !== '0') {
    throw badRequest('specifying resource version is not allowed when using continue');
  }
  return {
    labelSelector: q.get('labelSelector') ?? '',
    fieldSelector: q.get('fieldSelector') ?? '',
    resourceVersion,
    resourceVersionMatch: match as ListQuery['resourceVersionMatch'],
    limit: optionalInt(q, 'limit', 0),
    continue: cont,
    watch: isTrue(q.get('watch')),
    allowWatchBookmarks: isTrue(q.get('allowWatchBookmarks')),
    sendInitialEvents: isTrue(q.get('sendInitialEvents')),
    timeoutSeconds: optionalInt(q, 'timeoutSeconds', 0),
  };
}

export function parseFieldValidation(q: URLSearchParams): FieldValidation {
  const v = q.get('fieldValidation');
  if (v === null || v === '') return 'Warn';
  if (v === 'Strict' || v === 'Warn' || v === 'Ignore') return v;
  throw badRequest(
    `fieldValidation: Unsupported value: "${v}": supported values: "Ignore", "Strict", "Warn"`,
  );
}

export function parseDryRun(q: URLSearchParams): boolean {
  const values = q.getAll('dryRun');
  for (const v of values) {
    if (v !== 'All') throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  }
  return values.length > 0;
}

export function optionalInt(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min)
    throw badRequest(`${name}: Invalid value: "${v}": must be an integer >= ${min}`);
  return Number(v);
}

function isTrue(v: string | null): boolean {
  return v === 'true' || v === '1';
}
