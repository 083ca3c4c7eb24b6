import { describe, expect, it } from 'vitest';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { applyPatch } from '../../../api/patch/index.js';

const MERGE = 'application/merge-patch+json';
const DEPLOYMENT = { group: 'apps', version: 'v1', kind: 'Deployment' };

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web', tier: 'front' } },
    spec: {
      replicas: 1,
      template: {
        spec: {
          containers: [
            { name: 'a', image: 'a' },
            { name: 'b', image: 'b' },
          ],
        },
      },
    },
  };
}

describe('JSON merge patch', () => {
  it('merges maps and removes keys given null', () => {
    const patched = applyPatch(
      MERGE,
      deployment(),
      { metadata: { labels: { tier: null, env: 'prod' } }, spec: { replicas: 3 } },
      DEPLOYMENT,
    );
    expect(patched.metadata.labels).toEqual({ app: 'web', env: 'prod' });
    expect((patched.spec as { replicas: number }).replicas).toBe(3);
    expect(patched.metadata.name).toBe('web');
  });

  it('replaces lists whole, even lists with a strategic merge key', () => {
    const patched = applyPatch(
      MERGE,
      deployment(),
      { spec: { template: { spec: { containers: [{ name: 'b', image: 'new' }] } } } },
      DEPLOYMENT,
    );
    expect(
      (patched.spec as { template: { spec: { containers: unknown[] } } }).template.spec.containers,
    ).toEqual([{ name: 'b', image: 'new' }]);
  });

  it('drops nulls inside values it adds', () => {
    const patched = applyPatch(
      MERGE,
      deployment(),
      { metadata: { annotations: { a: 'x', b: null } } },
      DEPLOYMENT,
    );
    expect(patched.metadata.annotations).toEqual({ a: 'x' });
  });

  it('never modifies the original', () => {
    const original = deployment();
    const before = structuredClone(original);
    const patched = applyPatch(MERGE, original, { metadata: { labels: { app: null } } }, DEPLOYMENT);
    (patched.spec as { replicas: number }).replicas = 7;
    expect(original).toEqual(before);
  });

  it('keeps a __proto__ key as data', () => {
    const patch = JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}');
    const patched = applyPatch(MERGE, deployment(), patch, DEPLOYMENT);
    expect(Object.getPrototypeOf(patched.metadata.labels)).toBe(Object.prototype);
    expect(Object.keys(patched.metadata.labels ?? {})).toContain('__proto__');
  });

  it('answers a body that is not an object with 400', () => {
    try {
      applyPatch(MERGE, deployment(), [1, 2], DEPLOYMENT);
      expect.unreachable();
    } catch (e) {
      expect(isStatusError(e, 'BadRequest')).toBe(true);
    }
  });
});

describe('JSON merge patch null pruning', () => {
  it('prunes nulls inside list elements of a value that is new, and keeps null elements', () => {
    const original: KubeObject = { metadata: { name: 'c' } };
    const patched = applyPatch(
      MERGE,
      original,
      { spec: { a: { b: null, c: [{ d: null, e: 1 }, null] } } },
      DEPLOYMENT,
    );
    expect(patched.spec).toEqual({ a: { c: [{ e: 1 }, null] } });
  });
});
