import { describe, expect, it } from 'vitest';
import { parseDuration, parseMode, proxyCommand } from '../../../bin/commands/proxy.js';

describe('skiff proxy flags', () => {
  it('parses durations as Kubernetes writes them', () => {
    expect(parseDuration('1s')).toBe(1000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('1.5')).toBe(1500);
    expect(() => parseDuration('soon')).toThrow(/not a duration/);
  });

  it('accepts only the two modes', () => {
    expect(parseMode('iptables')).toBe('iptables');
    expect(() => parseMode('ipvs')).toThrow(/--proxy-mode/);
  });

  it('has defaults for mode, cluster CIDR and min sync period', () => {
    const cmd = proxyCommand();
    cmd.parseOptions([]);
    expect(cmd.opts()).toMatchObject({
      proxyMode: 'nftables',
      clusterCidr: '10.244.0.0/16',
      minSyncPeriod: '1s',
    });
  });
});
