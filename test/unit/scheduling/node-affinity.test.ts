import type { Node, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  podMatchesNodeSelectorAndAffinity,
  requirementMatches,
  termMatches,
} from '../../../api/scheduling/node-affinity.js';

const node: Node = { metadata: { name: 'n1', labels: { zone: 'a', cores: '16' } } };

describe('node affinity matching', () => {
  it('compares Gt and Lt as integers and fails on non-integers', () => {
    expect(requirementMatches({ key: 'cores', operator: 'Gt', values: ['9'] }, { cores: '16' })).toBe(true);
    expect(requirementMatches({ key: 'cores', operator: 'Lt', values: ['9'] }, { cores: '16' })).toBe(false);
    expect(requirementMatches({ key: 'cores', operator: 'Gt', values: ['x'] }, { cores: '16' })).toBe(false);
    expect(requirementMatches({ key: 'cores', operator: 'Gt', values: ['1', '2'] }, { cores: '16' })).toBe(
      false,
    );
  });

  it('treats an empty term as matching nothing', () => {
    expect(termMatches({}, node)).toBe(false);
  });

  it('requires both nodeSelector and required affinity', () => {
    const pod: Pod = {
      spec: {
        containers: [],
        nodeSelector: { zone: 'a' },
        affinity: {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['n1'] }] },
              ],
            },
          },
        },
      },
    };
    expect(podMatchesNodeSelectorAndAffinity(pod, node)).toBe(false);
    expect(podMatchesNodeSelectorAndAffinity(pod, { metadata: { name: 'n2', labels: { zone: 'a' } } })).toBe(
      true,
    );
    expect(podMatchesNodeSelectorAndAffinity(pod, { metadata: { name: 'n2', labels: { zone: 'b' } } })).toBe(
      false,
    );
  });
});
