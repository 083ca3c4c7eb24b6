import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { type Change, eventFor, targetCovers } from '../../../control-plane/storage/watch-events.js';

function pod(name: string, app: string, rv: string): KubeObject {
  return { metadata: { name, labels: { app }, resourceVersion: rv } };
}

const web = (o: KubeObject) => o.metadata.labels?.app === 'web';

describe('eventFor', () => {
  it('sends a created object as ADDED only when it matches', () => {
    const c: Change = { key: '/k', revision: 5, deleted: false, object: pod('a', 'web', '5') };
    expect(eventFor(c, web)?.type).toBe('ADDED');
    expect(eventFor({ ...c, object: pod('a', 'db', '5') }, web)).toBeUndefined();
    expect(eventFor(c)?.type).toBe('ADDED');
  });

  it('turns a modification that leaves the selection into DELETED of the previous state at the new revision', () => {
    const c: Change = {
      key: '/k',
      revision: 7,
      deleted: false,
      object: pod('a', 'db', '7'),
      previous: pod('a', 'web', '5'),
    };
    const ev = eventFor(c, web);
    expect(ev?.type).toBe('DELETED');
    expect(ev?.object.metadata.labels).toEqual({ app: 'web' });
    expect(ev?.object.metadata.resourceVersion).toBe('7');
    expect(c.previous?.metadata.resourceVersion).toBe('5');
  });

  it('turns a modification that enters the selection into ADDED and one that stays into MODIFIED', () => {
    const enter: Change = {
      key: '/k',
      revision: 7,
      deleted: false,
      object: pod('a', 'web', '7'),
      previous: pod('a', 'db', '5'),
    };
    expect(eventFor(enter, web)?.type).toBe('ADDED');
    const stay: Change = { ...enter, previous: pod('a', 'web', '5') };
    expect(eventFor(stay, web)?.type).toBe('MODIFIED');
    const outside: Change = { ...enter, object: pod('a', 'db', '7') };
    expect(eventFor(outside, web)).toBeUndefined();
  });

  it('sends deletes only for objects that matched', () => {
    const del: Change = {
      key: '/k',
      revision: 9,
      deleted: true,
      object: pod('a', 'web', '9'),
      previous: pod('a', 'web', '5'),
    };
    expect(eventFor(del, web)?.type).toBe('DELETED');
    expect(eventFor({ ...del, object: pod('a', 'db', '9') }, web)).toBeUndefined();
  });
});

describe('targetCovers', () => {
  it('matches prefixes ending in a slash and exact keys otherwise', () => {
    expect(targetCovers('/registry/core/pods/', '/registry/core/pods/ns/a')).toBe(true);
    expect(targetCovers('/registry/core/pods/ns/', '/registry/core/pods/ns2/a')).toBe(false);
    expect(targetCovers('/registry/core/pods/ns/a', '/registry/core/pods/ns/a')).toBe(true);
    expect(targetCovers('/registry/core/pods/ns/a', '/registry/core/pods/ns/ab')).toBe(false);
  });
});
