import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { systemdUnavailable } from '../../../agent/cgroup-layout.js';
import { defaultAgentFlags } from '../../../bin/commands/agent.js';
import { type KubeletFlags, runKubelet } from '../../../bin/commands/kubelet.js';

const flags = (env: Record<string, string>): KubeletFlags => defaultAgentFlags({ ...env });

describe('skiff kubelet flags', () => {
  it('has upstream defaults, and SKIFF_* variables override them for server --agent', () => {
    const d = flags({});
    expect(d.port).toBe('10250');
    expect(d.imageGcHighThreshold).toBe('85');
    expect(d.imageGcLowThreshold).toBe('80');
    expect(d.containerLogMaxSize).toBe('10Mi');
    expect(d.containerLogMaxFiles).toBe('5');
    expect(d.manageContainerd).toBe('auto');
    expect(flags({ SKIFF_ROOT_DIR: '/tmp/k', SKIFF_KUBELET_PORT: '0' })).toMatchObject({
      rootDir: '/tmp/k',
      port: '0',
    });
  });

  it.each([
    [{ SKIFF_EVICTION_HARD: 'memory.available<abc' }, /eviction threshold "memory.available<abc"/],
    [{ SKIFF_IMAGE_GC_HIGH_THRESHOLD: '120' }, /HighThresholdPercent 120, must be in range \[0-100\]/],
    [
      { SKIFF_IMAGE_GC_LOW_THRESHOLD: '90' },
      /LowThresholdPercent 90 can not be higher than HighThresholdPercent 85/,
    ],
    [{ SKIFF_CONTAINER_LOG_MAX_FILES: '1' }, /--container-log-max-files: "1" must be an integer >= 2/],
    [{ SKIFF_CONTAINER_LOG_MAX_SIZE: 'lots' }, /--container-log-max-size: "lots" is not a quantity/],
  ])('refuses %o before connecting anywhere', async (env, message) => {
    await expect(runKubelet(flags(env), new AbortController().signal)).rejects.toThrow(message);
  });

  it('takes the systemd cgroup driver only where systemd is the init system', async () => {
    if (existsSync('/run/systemd/system')) {
      expect(systemdUnavailable()).toBeUndefined();
      return;
    }
    await expect(
      runKubelet(flags({ SKIFF_CGROUP_DRIVER: 'systemd' }), new AbortController().signal),
    ).rejects.toThrow(/--cgroup-driver=systemd needs systemd as the init system/);
  });
});
