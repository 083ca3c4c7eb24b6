import { describe, expect, it } from 'vitest';
import {
  firstServiceIp,
  ipToNumber,
  ipToString,
  parseCidr,
  parsePortRange,
} from '../../../control-plane/apiserver/registry/service-allocator.js';

describe('service address ranges', () => {
  it('parses CIDRs and finds the first service IP', () => {
    expect(parseCidr('10.96.0.0/12')).toEqual({ base: ipToNumber('10.96.0.0'), size: 2 ** 20 });
    expect(firstServiceIp('10.96.0.0/12')).toBe('10.96.0.1');
    expect(firstServiceIp('10.43.7.9/16')).toBe('10.43.0.1');
    expect(ipToString(ipToNumber('192.168.255.254') ?? 0)).toBe('192.168.255.254');
  });

  it('rejects malformed ranges', () => {
    expect(() => parseCidr('10.96.0.0')).toThrow(/invalid IPv4 CIDR/);
    expect(() => parseCidr('300.1.1.1/8')).toThrow(/invalid IPv4 CIDR/);
    expect(() => parsePortRange('30000')).toThrow(/MIN-MAX/);
    expect(() => parsePortRange('300-200')).toThrow(/invalid port range/);
    expect(parsePortRange('30000-32767')).toEqual({ min: 30000, max: 32767 });
  });
});
