import { describe, expect, it } from 'vitest';
import { NodeName } from '../../../../control-plane/scheduler/plugins/node-name.js';
import { infoOf, makeNode, makePod } from '../fixtures.js';

describe('NodeName', () => {
  it('accepts any node without spec.nodeName and only the named node otherwise', () => {
    const p = new NodeName();
    expect(p.filter(makePod('a'), infoOf(makeNode('n1'))).code).toBe('Success');
    expect(p.filter(makePod('a', { nodeName: 'n1' }), infoOf(makeNode('n1'))).code).toBe('Success');
    const v = p.filter(makePod('a', { nodeName: 'n2' }), infoOf(makeNode('n1')));
    expect(v).toEqual({
      code: 'UnschedulableAndUnresolvable',
      reasons: ["node(s) didn't match the requested node name"],
    });
  });
});
