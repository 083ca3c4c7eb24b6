import { describe, expect, it } from 'vitest';
import {
  insufficientResources,
  podRequests,
  resourcesFromList,
} from '../../../api/scheduling/resource-fit.js';

describe('podRequests', () => {
  it('sums containers and parses quantities into millicores and bytes', () => {
    const r = podRequests({
      containers: [
        { name: 'a', resources: { requests: { cpu: '250m', memory: '64Mi', 'ephemeral-storage': '1Gi' } } },
        { name: 'b', resources: { requests: { cpu: '0.5', memory: '1G', 'example.com/fpga': '2' } } },
      ],
    });
    expect(r).toEqual({
      milliCPU: 750,
      memory: 64 * 1024 * 1024 + 1e9,
      ephemeralStorage: 1024 ** 3,
      scalar: { 'example.com/fpga': 2 },
    });
  });

  it('counts a sidecar for every init container started after it', () => {
    const r = podRequests({
      initContainers: [
        { name: 'sidecar', restartPolicy: 'Always', resources: { requests: { cpu: '200m' } } },
        { name: 'init', resources: { requests: { cpu: '900m' } } },
      ],
      containers: [{ name: 'main', resources: { requests: { cpu: '100m' } } }],
    });
    // init step: 200m + 900m = 1100m > containers + sidecar = 300m
    expect(r.milliCPU).toBe(1100);
  });

  it('applies the non-zero defaults per container when asked', () => {
    const r = podRequests(
      { containers: [{ name: 'a' }, { name: 'b', resources: { requests: { cpu: '1' } } }] },
      true,
    );
    expect(r.milliCPU).toBe(1100);
    expect(r.memory).toBe(2 * 200 * 1024 * 1024);
    expect(podRequests({ containers: [{ name: 'a' }] }).milliCPU).toBe(0);
  });
});

describe('insufficientResources', () => {
  it('lists every resource short, and too many pods', () => {
    const alloc = resourcesFromList({ cpu: '1', memory: '1Gi' });
    const used = resourcesFromList({ cpu: '500m', memory: '512Mi' });
    const want = resourcesFromList({ cpu: '600m', memory: '256Mi' });
    expect(insufficientResources(want, alloc, 10, used, 3).map((m) => m.reason)).toEqual([
      'Insufficient cpu',
    ]);
    expect(insufficientResources(want, alloc, 3, used, 3).map((m) => m.reason)).toEqual([
      'Too many pods',
      'Insufficient cpu',
    ]);
  });

  it('never rejects a pod for a resource it does not request', () => {
    const full = resourcesFromList({ cpu: '1' });
    expect(insufficientResources(resourcesFromList({}), full, 10, full, 0)).toEqual([]);
  });
});
