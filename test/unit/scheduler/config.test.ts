import { describe, expect, it } from 'vitest';
import { parseSchedulerConfig } from '../../../control-plane/scheduler/config.js';
import { defaultProfile } from '../../../control-plane/scheduler/profile.js';
import { defaultRegistry } from '../../../control-plane/scheduler/registry.js';

describe('parseSchedulerConfig', () => {
  it('gives the default profile for an empty document', () => {
    expect(parseSchedulerConfig('', defaultRegistry)).toEqual(defaultProfile());
  });

  it('reads schedulerName, score weights, disabled plugins and percentageOfNodesToScore', () => {
    const profile = parseSchedulerConfig(
      `apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
percentageOfNodesToScore: 30
profiles:
- schedulerName: my-scheduler
  plugins:
    score:
      enabled:
      - name: NodeResourcesBalancedAllocation
        weight: 5
      disabled:
      - name: TaintToleration
    filter:
      disabled:
      - name: NodePorts
`,
      defaultRegistry,
    );
    expect(profile.schedulerName).toBe('my-scheduler');
    expect(profile.percentageOfNodesToScore).toBe(30);
    expect(profile.filters).not.toContain('NodePorts');
    expect(profile.filters).toContain('TaintToleration');
    expect(profile.scores).toEqual([
      { name: 'NodeAffinity', weight: 2 },
      { name: 'NodeResourcesFit', weight: 1 },
      { name: 'PodTopologySpread', weight: 2 },
      { name: 'InterPodAffinity', weight: 2 },
      { name: 'NodeResourcesBalancedAllocation', weight: 5 },
      { name: 'ImageLocality', weight: 1 },
    ]);
  });

  it('disables every score with "*" and enables only the listed ones', () => {
    const profile = parseSchedulerConfig(
      `profiles:
- plugins:
    score:
      disabled: [{name: '*'}]
      enabled: [{name: NodeResourcesFit, weight: 2}]
`,
      defaultRegistry,
    );
    expect(profile.scores).toEqual([{ name: 'NodeResourcesFit', weight: 2 }]);
  });

  it('fails with a clear message on an unknown plugin name', () => {
    expect(() =>
      parseSchedulerConfig(
        'profiles:\n- plugins:\n    score:\n      enabled: [{name: NodeResourcesMostFun}]\n',
        defaultRegistry,
      ),
    ).toThrow(/plugins\.score\.enabled: unknown plugin "NodeResourcesMostFun" \(known: .*NodeResourcesFit/);
  });

  it('rejects bad weights and a wrong kind', () => {
    expect(() =>
      parseSchedulerConfig(
        'profiles:\n- plugins:\n    score:\n      enabled: [{name: NodeAffinity, weight: 0}]\n',
        defaultRegistry,
      ),
    ).toThrow(/weight of NodeAffinity must be a positive integer/);
    expect(() => parseSchedulerConfig('kind: Pod\n', defaultRegistry)).toThrow(/KubeSchedulerConfiguration/);
  });
});
