import type { Affinity, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  targetNodeName,
  withNodeNameAffinity,
} from '../../../control-plane/controllers/daemon-node-affinity.js';

const pin = (node: string) => ({ matchFields: [{ key: 'metadata.name', operator: 'In', values: [node] }] });

describe('withNodeNameAffinity (ReplaceDaemonSetPodNodeNameNodeAffinity)', () => {
  it('creates the affinity when there is none', () => {
    expect(withNodeNameAffinity(undefined, 'n1')).toEqual({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin('n1')] } },
    });
  });

  it('replaces required terms, keeps preferred node affinity and pod affinity, leaves the input alone', () => {
    const preferred = [{ weight: 5, preference: { matchExpressions: [{ key: 'ssd', operator: 'Exists' }] } }];
    const podAntiAffinity = {
      requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }],
    };
    const input: Affinity = {
      podAntiAffinity,
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
        requiredDuringSchedulingIgnoredDuringExecution: {
          nodeSelectorTerms: [
            { matchExpressions: [{ key: 'role', operator: 'In', values: ['edge'] }] },
            pin('elsewhere'),
          ],
        },
      },
    };
    const before = structuredClone(input);
    const out = withNodeNameAffinity(input, 'n2');
    expect(out).toEqual({
      podAntiAffinity,
      nodeAffinity: {
        preferredDuringSchedulingIgnoredDuringExecution: preferred,
        requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [pin('n2')] },
      },
    });
    expect(input).toEqual(before);
  });
});

describe('targetNodeName (GetTargetNodeName)', () => {
  const pod = (spec: Partial<NonNullable<Pod['spec']>>): Pod => ({ spec: { containers: [], ...spec } });

  it('is spec.nodeName once bound, else the metadata.name In value of the required affinity', () => {
    expect(targetNodeName(pod({ nodeName: 'bound', affinity: withNodeNameAffinity(undefined, 'x') }))).toBe(
      'bound',
    );
    expect(targetNodeName(pod({ affinity: withNodeNameAffinity(undefined, 'n3') }))).toBe('n3');
  });

  it('is undefined without a usable requirement', () => {
    expect(targetNodeName(pod({}))).toBeUndefined();
    const terms = (t: object[]) => ({
      nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: t } },
    });
    expect(
      targetNodeName(pod({ affinity: terms([{ matchExpressions: [{ key: 'a', operator: 'Exists' }] }]) })),
    ).toBe(undefined);
    const two = { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a', 'b'] }] };
    expect(targetNodeName(pod({ affinity: terms([two]) }))).toBeUndefined();
    const notIn = { matchFields: [{ key: 'metadata.name', operator: 'NotIn', values: ['a'] }] };
    expect(targetNodeName(pod({ affinity: terms([notIn, pin('c')]) }))).toBe('c');
  });
});
