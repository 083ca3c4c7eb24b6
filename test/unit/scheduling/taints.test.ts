import { describe, expect, it } from 'vitest';
import { findUntoleratedTaint, isSchedulingTaint, toleratesTaint } from '../../../api/scheduling/taints.js';

describe('toleratesTaint', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' };

  it.each([
    [{ key: 'k', value: 'v', effect: 'NoSchedule' }, true],
    [{ key: 'k', operator: 'Equal', value: 'v' }, true],
    [{ key: 'k', value: 'other' }, false],
    [{ key: 'k', operator: 'Exists' }, true],
    [{ operator: 'Exists' }, true],
    [{ operator: 'Exists', effect: 'NoExecute' }, false],
    [{ key: 'other', operator: 'Exists' }, false],
  ])('%j -> %s', (toleration, ok) => {
    expect(toleratesTaint(toleration, taint)).toBe(ok);
  });
});

describe('findUntoleratedTaint', () => {
  it('returns the first scheduling taint not tolerated', () => {
    const taints = [
      { key: 'soft', effect: 'PreferNoSchedule' },
      { key: 'a', effect: 'NoSchedule' },
      { key: 'b', effect: 'NoExecute' },
    ];
    expect(findUntoleratedTaint(taints, [], isSchedulingTaint)?.key).toBe('a');
    expect(findUntoleratedTaint(taints, [{ key: 'a', operator: 'Exists' }], isSchedulingTaint)?.key).toBe(
      'b',
    );
    expect(findUntoleratedTaint(taints, [{ operator: 'Exists' }], isSchedulingTaint)).toBeUndefined();
  });
});
