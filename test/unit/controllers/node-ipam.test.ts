import { describe, expect, it } from 'vitest';
import { CidrSet } from '../../../control-plane/controllers/node-ipam-controller.js';

describe('node pod CIDRs', () => {
  it('splits the cluster CIDR into /24 subnets by index', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(set.size).toBe(256);
    expect(set.cidr(0)).toBe('10.244.0.0/24');
    expect(set.cidr(255)).toBe('10.244.255.0/24');
    expect(set.indexOf('10.244.7.0/24')).toBe(7);
  });

  it('does not recognise subnets outside the range or of another size', () => {
    const set = new CidrSet('10.244.0.0/16', 24);
    expect(set.indexOf('10.245.0.0/24')).toBeUndefined();
    expect(set.indexOf('10.244.1.0/25')).toBeUndefined();
    expect(set.indexOf('10.244.1.5/24')).toBeUndefined();
    expect(() => new CidrSet('10.0.0.0/24', 16)).toThrow();
  });
});
