import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  cgroupfsLayout,
  defaultRootSlice,
  systemdLayout,
  systemdUnavailable,
} from '../../../agent/cgroup-layout.js';

const pod = (c: Container): Pod => ({ metadata: { name: 'p' }, spec: { containers: [c] } });
const guaranteed = pod({ name: 'c', resources: { limits: { cpu: '1', memory: '1Gi' } } });
const burstable = pod({ name: 'c', resources: { requests: { cpu: '1' } } });
const bestEffort = pod({ name: 'c' });
const UID = '6f1c2a3b-0d4e-4f5a-9b8c-7d6e5f4a3b2c';

describe('cgroupfs layout', () => {
  it('puts pods under a QoS tier of the node root', () => {
    const l = cgroupfsLayout('/skiff-n');
    expect(l.podParent(guaranteed, 'u1')).toBe('/skiff-n/podu1');
    expect(l.podParent(burstable, 'u1')).toBe('/skiff-n/burstable/podu1');
    expect(l.podParent(bestEffort, 'u1')).toBe('/skiff-n/besteffort/podu1');
  });

  it('removes a gone pod directory tree whatever its tier, in v1 and v2 layouts', async () => {
    const sysfs = await mkdtemp(join(tmpdir(), 'skiff-cg-'));
    try {
      await mkdir(join(sysfs, 'skiff-n/burstable/podu1/ctr1'), { recursive: true });
      await mkdir(join(sysfs, 'memory/skiff-n/burstable/podu1/ctr1'), { recursive: true });
      await mkdir(join(sysfs, 'skiff-n/burstable/podu2'), { recursive: true });
      await cgroupfsLayout('/skiff-n', sysfs).removePod('u1');
      expect(await readdir(join(sysfs, 'skiff-n/burstable'))).toEqual(['podu2']);
      expect(await readdir(join(sysfs, 'memory/skiff-n/burstable'))).toEqual([]);
    } finally {
      await rm(sysfs, { recursive: true, force: true });
    }
  });
});

describe('systemd layout', () => {
  it('names slices as upstream: root prefix, tier, pod uid with underscores', () => {
    const l = systemdLayout('kubepods.slice');
    expect(l.podParent(guaranteed, UID)).toBe('kubepods-pod6f1c2a3b_0d4e_4f5a_9b8c_7d6e5f4a3b2c.slice');
    expect(l.podParent(burstable, UID)).toBe(
      'kubepods-burstable-pod6f1c2a3b_0d4e_4f5a_9b8c_7d6e5f4a3b2c.slice',
    );
    expect(l.podParent(bestEffort, 'u1')).toBe('kubepods-besteffort-podu1.slice');
    expect(l.driver).toBe('systemd');
  });

  it('gives each node its own root slice, escaping dashes and dots', () => {
    expect(defaultRootSlice('node-1.example')).toBe('skiff_node_1_example.slice');
    const l = systemdLayout(defaultRootSlice('node-1'));
    expect(l.podParent(bestEffort, 'u1')).toBe('skiff_node_1-besteffort-podu1.slice');
  });

  it('refuses a root that is not a slice name', () => {
    expect(() => systemdLayout('/sys/fs/cgroup/x')).toThrow(/not a systemd slice name/);
  });

  it('stops every possible slice of a gone pod through systemctl', async () => {
    const calls: string[][] = [];
    await systemdLayout('kubepods.slice', async (args) => {
      calls.push(args);
    }).removePod('u1');
    expect(calls).toEqual([
      ['stop', 'kubepods-podu1.slice', 'kubepods-burstable-podu1.slice', 'kubepods-besteffort-podu1.slice'],
    ]);
  });

  it('says why systemd cannot be used without systemd as init', () => {
    expect(systemdUnavailable('/nonexistent/run/systemd/system')).toMatch(/needs systemd as the init system/);
    expect(systemdUnavailable(tmpdir())).toBeUndefined();
  });
});
