import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { schedulerCommand } from '../../../bin/commands/scheduler.js';

describe('skiff scheduler', () => {
  it('fails at start with a clear message when --scheduler-config names an unknown plugin', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-sched-'));
    const file = join(dir, 'scheduler.yaml');
    writeFileSync(
      file,
      'apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\nprofiles:\n- plugins:\n    filter:\n      enabled: [{name: NoSuchPlugin}]\n',
    );
    const cmd = schedulerCommand().exitOverride();
    await expect(
      cmd.parseAsync(['--scheduler-config', file, '--kubeconfig', join(dir, 'missing')], { from: 'user' }),
    ).rejects.toThrow('scheduler config: plugins.filter.enabled: unknown plugin "NoSuchPlugin"');
  });
});
