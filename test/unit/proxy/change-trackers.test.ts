import { describe, expect, it } from 'vitest';
import { EndpointsChangeTracker } from '../../../proxy/endpoints-change-tracker.js';
import { ServiceChangeTracker } from '../../../proxy/service-change-tracker.js';
import { service, slice } from './fixtures.js';

describe('ServiceChangeTracker', () => {
  it('merges changes per key between checkpoints', () => {
    const t = new ServiceChangeTracker();
    const a1 = service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    const a2 = service('a', { clusterIP: '10.96.0.1', ports: [{ port: 81 }] });
    t.update(undefined, a1);
    t.update(a1, a2);
    const changes = t.checkpoint();
    expect([...changes.keys()]).toEqual(['default/a']);
    expect(changes.get('default/a')).toEqual({ previous: undefined, current: a2 });
    expect(t.pending()).toBe(false);
    expect([...t.services()]).toEqual([a2]);
  });

  it('cancels an add followed by a delete', () => {
    const t = new ServiceChangeTracker();
    const a = service('a', { clusterIP: '10.96.0.1', ports: [{ port: 80 }] });
    t.update(undefined, a);
    t.update(a, undefined);
    expect(t.pending()).toBe(false);
    expect([...t.services()]).toEqual([]);
  });
});

describe('EndpointsChangeTracker', () => {
  it('groups slices by service and reports changed services with trigger times', () => {
    const t = new EndpointsChangeTracker();
    const s1 = slice('web', 'web-1', [{ port: 80 }], [{ ip: '10.244.0.1' }], {
      triggerTime: '2024-01-02T03:04:05Z',
    });
    const s2 = slice('web', 'web-2', [{ port: 80 }], [{ ip: '10.244.0.2' }]);
    const d = slice('db', 'db-1', [{ port: 5432 }], [{ ip: '10.244.0.3' }]);
    t.update(undefined, s1);
    t.update(undefined, s2);
    t.update(undefined, d);
    const changes = t.checkpoint();
    expect([...changes.keys()].sort()).toEqual(['default/db', 'default/web']);
    expect(changes.get('default/web')?.triggerTimes).toEqual([Date.UTC(2024, 0, 2, 3, 4, 5)]);
    expect(t.slicesByService().get('default/web')).toEqual([s1, s2]);
    t.update(s1, undefined);
    expect([...t.checkpoint().keys()]).toEqual(['default/web']);
    expect(t.slicesByService().get('default/web')).toEqual([s2]);
  });

  it('moves a slice relabelled to another service', () => {
    const t = new EndpointsChangeTracker();
    const s = slice('a', 'x', [{ port: 80 }], [{ ip: '10.244.0.1' }]);
    const moved = slice('b', 'x', [{ port: 80 }], [{ ip: '10.244.0.1' }]);
    t.update(undefined, s);
    t.checkpoint();
    t.update(s, moved);
    expect([...t.checkpoint().keys()].sort()).toEqual(['default/a', 'default/b']);
    expect(t.slicesByService().has('default/a')).toBe(false);
    expect(t.slicesByService().get('default/b')).toEqual([moved]);
  });
});
