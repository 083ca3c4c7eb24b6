import type { Container, Pod } from 'kubernetes-types/core/v1.js';
import { describe, expect, it } from 'vitest';
import {
  buildContainerConfig,
  linuxContainerResources,
  linuxContainerSecurityContext,
  milliCpuToQuota,
  milliCpuToShares,
} from '../../../agent/container-config.js';
import { containerOomScoreAdj } from '../../../agent/qos.js';
import { WaitingError } from '../../../agent/waiting-error.js';

const GiB = 1024 ** 3;

function pod(containers: Container[], extra: Partial<NonNullable<Pod['spec']>> = {}): Pod {
  return { metadata: { name: 'p', namespace: 'default', uid: 'u1' }, spec: { containers, ...extra } };
}

describe('cpu conversions', () => {
  it('gives shares from millicores, at least 2', () => {
    expect(milliCpuToShares(0)).toBe(2);
    expect(milliCpuToShares(1)).toBe(2);
    expect(milliCpuToShares(250)).toBe(256);
    expect(milliCpuToShares(1000)).toBe(1024);
    expect(milliCpuToShares(1_000_000)).toBe(262144);
  });
  it('gives CFS quota per 100 ms period, at least 1 ms', () => {
    expect(milliCpuToQuota(0)).toBe(0);
    expect(milliCpuToQuota(5)).toBe(1000);
    expect(milliCpuToQuota(500)).toBe(50000);
    expect(milliCpuToQuota(2000)).toBe(200000);
  });
});

describe('linux resources', () => {
  it('maps requests and limits of a Guaranteed container', () => {
    const c: Container = { name: 'c', resources: { limits: { cpu: '500m', memory: '256Mi' } } };
    expect(linuxContainerResources(pod([c]), c, 8 * GiB)).toEqual({
      cpuShares: 512,
      cpuPeriod: 100000,
      cpuQuota: 50000,
      memoryLimitInBytes: 256 * 1024 * 1024,
      oomScoreAdj: -997,
    });
  });
  it('gives a BestEffort container minimal shares, no quota, no memory limit, oom 1000', () => {
    const c: Container = { name: 'c' };
    expect(linuxContainerResources(pod([c]), c, 8 * GiB)).toEqual({
      cpuShares: 2,
      cpuPeriod: 100000,
      oomScoreAdj: 1000,
    });
  });
  it('scales a Burstable container oom_score_adj with its memory request, within 3..999', () => {
    const c = (mem: string): Container => ({ name: 'c', resources: { requests: { memory: mem } } });
    expect(containerOomScoreAdj(pod([c('1Gi')]), c('1Gi'), 10 * GiB)).toBe(900);
    expect(containerOomScoreAdj(pod([c('1')]), c('1'), 10 * GiB)).toBe(999);
    expect(containerOomScoreAdj(pod([c('10Gi')]), c('10Gi'), 10 * GiB)).toBe(3);
    const cpuOnly: Container = { name: 'c', resources: { requests: { cpu: '100m' } } };
    expect(linuxContainerResources(pod([cpuOnly]), cpuOnly, 8 * GiB)).toEqual({
      cpuShares: 102,
      cpuPeriod: 100000,
      oomScoreAdj: 999,
    });
  });
  it('protects node-critical pods like Guaranteed ones', () => {
    const c: Container = { name: 'c' };
    const p = pod([c], { priority: 2_000_001_000, priorityClassName: 'system-node-critical' });
    expect(containerOomScoreAdj(p, c, GiB)).toBe(-997);
  });
});

describe('security context', () => {
  it('merges pod and container fields, the container winning', () => {
    const c: Container = {
      name: 'c',
      securityContext: {
        runAsUser: 1000,
        privileged: false,
        readOnlyRootFilesystem: true,
        allowPrivilegeEscalation: false,
        capabilities: { add: ['NET_ADMIN'], drop: ['ALL'] },
      },
    };
    const p = pod([c], {
      securityContext: { runAsUser: 5, runAsGroup: 6, fsGroup: 7, supplementalGroups: [8] },
    });
    const sc = linuxContainerSecurityContext(p, c, { network: 'NODE' });
    expect(sc).toMatchObject({
      namespaceOptions: { network: 'NODE' },
      runAsUser: { value: 1000 },
      runAsGroup: { value: 6 },
      privileged: false,
      readonlyRootfs: true,
      noNewPrivs: true,
      capabilities: { addCapabilities: ['NET_ADMIN'], dropCapabilities: ['ALL'] },
      supplementalGroups: [7, 8],
    });
    expect(sc.maskedPaths).toContain('/proc/kcore');
  });
  it('leaves no_new_privs off unless escalation is disallowed', () => {
    const c: Container = { name: 'c', securityContext: { privileged: true } };
    const sc = linuxContainerSecurityContext(pod([c]), c, {});
    expect(sc.noNewPrivs).toBe(false);
    expect(sc.privileged).toBe(true);
    expect(sc.runAsUser).toBeUndefined();
  });
});

describe('buildContainerConfig', () => {
  const base = { uid: 'u1', attempt: 2, mounts: [], namespaces: { network: 'NODE' as const } };

  it('expands $(VAR) in command and args from the container env', () => {
    const c: Container = {
      name: 'c',
      image: 'busybox',
      command: ['sh', '-c', 'echo $(MSG) $$(MSG)'],
      args: ['$(NONE)'],
    };
    const cfg = buildContainerConfig({
      ...base,
      pod: pod([c]),
      spec: c,
      envs: [{ key: 'MSG', value: 'hi' }],
    });
    expect(cfg.command).toEqual(['sh', '-c', 'echo hi $(MSG)']);
    expect(cfg.args).toEqual(['$(NONE)']);
    expect(cfg.linux?.resources?.cpuShares).toBe(2);
    expect(cfg.annotations?.['io.kubernetes.container.terminationMessagePath']).toBe('/dev/termination-log');
  });

  it('refuses runAsNonRoot with root users', () => {
    const nonRoot = (sc: Container['securityContext']): Container => ({ name: 'c', securityContext: sc });
    const build = (c: Container, imageUser?: { uid?: number; username?: string }) =>
      buildContainerConfig({ ...base, pod: pod([c]), spec: c, envs: [], imageUser });
    expect(() => build(nonRoot({ runAsNonRoot: true, runAsUser: 0 }))).toThrow(
      `container's runAsUser breaks non-root policy (pod: "p_default(u1)", container: c)`,
    );
    expect(() => build(nonRoot({ runAsNonRoot: true }), { uid: 0 })).toThrow('image will run as root');
    expect(() => build(nonRoot({ runAsNonRoot: true }))).toThrow(WaitingError);
    expect(() => build(nonRoot({ runAsNonRoot: true }), { username: 'app' })).toThrow(
      'non-numeric user (app)',
    );
    expect(build(nonRoot({ runAsNonRoot: true }), { uid: 1000 }).metadata.name).toBe('c');
    expect(build(nonRoot({ runAsNonRoot: true, runAsUser: 1000 })).linux?.securityContext?.runAsUser).toEqual(
      {
        value: 1000,
      },
    );
    try {
      build(nonRoot({ runAsNonRoot: true }));
    } catch (e) {
      expect((e as WaitingError).reason).toBe('CreateContainerConfigError');
    }
  });
});
