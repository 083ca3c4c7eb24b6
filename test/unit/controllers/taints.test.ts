import { describe, expect, it } from 'vitest';
import { toleratedForMs, tolerates } from '../../../control-plane/controllers/taints.js';

const unreachable = {
  key: 'node.kubernetes.io/unreachable',
  effect: 'NoExecute',
  timeAdded: '2024-01-01T00:00:00Z',
};
const custom = { key: 'example.com/dedicated', value: 'db', effect: 'NoExecute' };

describe('taints and tolerations', () => {
  it('matches by key, value, operator and effect', () => {
    expect(tolerates({ operator: 'Exists' }, custom)).toBe(true);
    expect(tolerates({ key: 'example.com/dedicated', operator: 'Equal', value: 'db' }, custom)).toBe(true);
    expect(tolerates({ key: 'example.com/dedicated', operator: 'Equal', value: 'web' }, custom)).toBe(false);
    expect(
      tolerates({ key: 'example.com/dedicated', operator: 'Exists', effect: 'NoSchedule' }, custom),
    ).toBe(false);
  });

  it('evicts at once for an untolerated taint, after tolerationSeconds, or never', () => {
    expect(toleratedForMs([], [custom])).toBe(0);
    expect(toleratedForMs([{ operator: 'Exists', tolerationSeconds: 5 }], [custom, unreachable])).toBe(5000);
    expect(toleratedForMs([{ operator: 'Exists' }], [custom, unreachable])).toBe(Number.POSITIVE_INFINITY);
  });

  it('gives the node-condition taints the default 300 s', () => {
    expect(toleratedForMs([], [unreachable])).toBe(300_000);
  });
});
