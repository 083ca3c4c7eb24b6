import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { applyPatch } from '../../../api/patch/index.js';

const CM = { group: '', version: 'v1', kind: 'ConfigMap' };
const cm = (): KubeObject => ({ metadata: { name: 'c', labels: { a: '1' } }, data: { k: 'v' } });

describe('applyPatch', () => {
  it('dispatches on the media type, ignoring parameters and case', () => {
    const merged = applyPatch('Application/Merge-Patch+JSON; charset=utf-8', cm(), { data: { k: null } }, CM);
    expect(merged.data).toEqual({});
    const json = applyPatch('application/json-patch+json', cm(), [{ op: 'remove', path: '/data/k' }], CM);
    expect(json.data).toEqual({});
    const smp = applyPatch('application/strategic-merge-patch+json', cm(), { data: { x: 'y' } }, CM);
    expect(smp.data).toEqual({ k: 'v', x: 'y' });
  });

  it('answers other media types, server-side apply included, with 415', () => {
    for (const type of ['application/apply-patch+yaml', 'application/json', 'text/plain']) {
      try {
        applyPatch(type, cm(), {}, CM);
        expect.unreachable();
      } catch (e) {
        expect(isStatusError(e, 'UnsupportedMediaType'), type).toBe(true);
        expect((e as { code: number }).code).toBe(415);
      }
    }
  });

  it('answers a patch that makes metadata a non-object with 400', () => {
    try {
      applyPatch('application/merge-patch+json', cm(), { metadata: 'x' }, CM);
      expect.unreachable();
    } catch (e) {
      expect(isStatusError(e, 'BadRequest')).toBe(true);
    }
  });
});
