import { describe, expect, it } from 'vitest';
import { agentCommand } from '../../../bin/commands/agent.js';

describe('skiff agent', () => {
  it('takes the kubelet and proxy options once each', () => {
    const names = agentCommand().options.map((o) => o.long);
    for (const flag of [
      '--kubeconfig',
      '--hostname-override',
      '--node-ip',
      '--container-runtime-endpoint',
      '--proxy-mode',
      '--cluster-cidr',
    ]) {
      expect(names.filter((n) => n === flag)).toHaveLength(1);
    }
  });
});
