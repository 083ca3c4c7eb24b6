import { describe, expect, it } from 'vitest';
import type { StoreEvent } from '../../../control-plane/storage/store.js';
import { WatchQueue } from '../../../control-plane/storage/watch-queue.js';

const ev = (name: string): StoreEvent => ({ type: 'ADDED', object: { metadata: { name } } });

describe('WatchQueue', () => {
  it('delivers queued events in order, then waits for more', async () => {
    const q = new WatchQueue(10);
    q.push(ev('a'));
    const it = q.events[Symbol.asyncIterator]();
    expect((await it.next()).value?.object.metadata.name).toBe('a');
    const pending = it.next();
    q.push(ev('b'));
    expect((await pending).value?.object.metadata.name).toBe('b');
  });

  it('ends the watch when a slow consumer lets it overflow, after the queued events', async () => {
    const q = new WatchQueue(2);
    let ended = false;
    q.onEnd(() => {
      ended = true;
    });
    expect(q.push(ev('a'))).toBe(true);
    expect(q.push(ev('b'))).toBe(true);
    expect(q.push(ev('c'))).toBe(false);
    expect(q.overflowed).toBe(true);
    expect(ended).toBe(true);
    const names: string[] = [];
    for await (const e of q.events) names.push(e.object.metadata.name as string);
    expect(names).toEqual(['a', 'b']);
  });

  it('lets initial events past the bound', () => {
    const q = new WatchQueue(1);
    for (let i = 0; i < 5; i++) expect(q.push(ev(String(i)), true)).toBe(true);
    expect(q.isClosed).toBe(false);
  });

  it('throws a failure from the iterator and runs end hooks on stop', async () => {
    const q = new WatchQueue(5);
    q.fail(new Error('gone'));
    await expect(q.events[Symbol.asyncIterator]().next()).rejects.toThrow('gone');
    const q2 = new WatchQueue(5);
    let stopped = 0;
    q2.onEnd(() => stopped++);
    q2.stop();
    q2.stop();
    expect(stopped).toBe(1);
    expect((await q2.events[Symbol.asyncIterator]().next()).done).toBe(true);
  });
});
