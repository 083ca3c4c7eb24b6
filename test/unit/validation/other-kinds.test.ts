import { describe, expect, it } from 'vitest';
import { create, GVK, type Loose, lines, make, update } from './helpers.js';

const clusterScoped = { namespace: undefined };

describe('namespace and node', () => {
  it('accepts a defaulted namespace', () => {
    expect(create(GVK.namespace, {}, { name: 'team-a', ...clusterScoped })).toEqual([]);
  });

  it('checks node pod CIDRs and taints', () => {
    expect(
      create(GVK.node, { spec: { podCIDR: '10.244.1.0/24', podCIDRs: ['10.244.1.0/24'] } }, clusterScoped),
    ).toEqual([]);
    const spec = {
      podCIDRs: ['10.244.1.0/33'],
      taints: [
        { key: 'k', effect: 'NoSchedule' },
        { key: 'k', effect: 'NoSchedule' },
        { key: 'x', effect: 'Soon' },
      ],
    };
    expect(lines(create(GVK.node, { spec }, clusterScoped))).toEqual([
      'spec.podCIDRs[0]: Invalid value: "10.244.1.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      'spec.taints[1]: Invalid value: "k": taints must be unique by key and effect pair',
      'spec.taints[2].effect: Unsupported value: "Soon": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"',
    ]);
  });

  it('lets podCIDR be set once but not changed', () => {
    const old = make(GVK.node, { spec: {} }, clusterScoped);
    const set: Loose = structuredClone(old);
    set.spec.podCIDR = '10.244.0.0/24';
    expect(update(GVK.node, set, old)).toEqual([]);
    const changed: Loose = structuredClone(set);
    changed.spec.podCIDR = '10.244.9.0/24';
    expect(lines(update(GVK.node, changed, set))).toEqual([
      'spec.podCIDR: Forbidden: podCIDR can not be changed once set',
    ]);
  });
});

describe('priority class', () => {
  it('limits user priorities and reserves the system- prefix', () => {
    expect(create(GVK.priorityClass, { value: 1000 }, clusterScoped)).toEqual([]);
    expect(
      create(GVK.priorityClass, { value: 2000001000 }, { name: 'system-node-critical', ...clusterScoped }),
    ).toEqual([]);
    expect(lines(create(GVK.priorityClass, { value: 2000000000 }, clusterScoped))).toEqual([
      'value: Forbidden: maximum allowed value of a user defined priority is 1000000000',
    ]);
    expect(lines(create(GVK.priorityClass, { value: 1 }, { name: 'system-mine', ...clusterScoped }))).toEqual(
      [
        'metadata.name: Invalid value: "system-mine": priority class names with \'system-\' prefix are reserved',
      ],
    );
  });

  it('keeps the value immutable', () => {
    const old = make(GVK.priorityClass, { value: 10 }, clusterScoped);
    const next: Loose = structuredClone(old);
    next.value = 11;
    expect(lines(update(GVK.priorityClass, next, old))).toEqual([
      'value: Forbidden: may not be changed in an update.',
    ]);
  });
});

describe('endpoints and endpoint slices', () => {
  it('accepts valid endpoints and rejects bad addresses', () => {
    const subsets = [{ addresses: [{ ip: '10.244.0.5' }], ports: [{ port: 8080 }] }];
    expect(create(GVK.endpoints, { subsets })).toEqual([]);
    expect(
      lines(create(GVK.endpoints, { subsets: [{ addresses: [{ ip: 'pod-a' }], ports: [{ port: 8080 }] }] })),
    ).toEqual([
      'subsets[0].addresses[0].ip: Invalid value: "pod-a": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  it('checks the address type, addresses and ports of a slice', () => {
    const ok = {
      addressType: 'IPv4',
      endpoints: [{ addresses: ['10.244.0.5'], conditions: { ready: true } }],
      ports: [{ name: 'http', port: 80 }],
    };
    expect(create(GVK.endpointSlice, ok)).toEqual([]);
    const bad = {
      addressType: 'IPv4',
      endpoints: [{ addresses: [] }, { addresses: ['fe80::1'] }],
      ports: [{ port: 0 }],
    };
    expect(lines(create(GVK.endpointSlice, bad))).toEqual([
      'endpoints[0].addresses: Required value: must contain at least 1 address',
      'endpoints[1].addresses[0]: Invalid value: "fe80::1": must be a valid IPv4 address',
      'ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
    expect(lines(create(GVK.endpointSlice, { addressType: 'IPX', endpoints: [] }))).toEqual([
      'addressType: Unsupported value: "IPX": supported values: "FQDN", "IPv4", "IPv6"',
    ]);
  });

  it('keeps the address type immutable', () => {
    const old = make(GVK.endpointSlice, { addressType: 'IPv4', endpoints: [] });
    const next: Loose = structuredClone(old);
    next.addressType = 'IPv6';
    expect(lines(update(GVK.endpointSlice, next, old))).toEqual([
      'addressType: Invalid value: "IPv6": field is immutable',
    ]);
  });
});

describe('limit ranges and quotas', () => {
  it('checks limit types and quantities', () => {
    const limits = [
      { type: 'Container', default: { cpu: '500m' } },
      { type: 'Node', max: { memory: 'big' } },
    ];
    const errs = lines(create({ group: '', version: 'v1', kind: 'LimitRange' }, { spec: { limits } }));
    expect(errs[0]).toBe(
      'spec.limits[1].type: Unsupported value: "Node": supported values: "Container", "PersistentVolumeClaim", "Pod"',
    );
    expect(errs[1]).toMatch(/^spec\.limits\[1\]\.max\[memory\]: Invalid value: "big": /);
    expect(errs).toHaveLength(2);
  });

  it('rejects negative quota amounts', () => {
    const spec = { hard: { pods: '10', 'requests.cpu': '-1' } };
    expect(lines(create({ group: '', version: 'v1', kind: 'ResourceQuota' }, { spec }))).toEqual([
      'spec.hard[requests.cpu]: Invalid value: "-1": must be greater than or equal to 0',
    ]);
  });
});

describe('lease and events', () => {
  it('requires a positive lease duration', () => {
    expect(create(GVK.lease, { spec: { holderIdentity: 'n1', leaseDurationSeconds: 40 } })).toEqual([]);
    expect(lines(create(GVK.lease, { spec: { leaseDurationSeconds: 0 } }))).toEqual([
      'spec.leaseDurationSeconds: Invalid value: 0: must be greater than 0',
    ]);
  });

  it('requires a core event to involve an object of its namespace', () => {
    const involvedObject = { kind: 'Pod', name: 'p', namespace: 'default' };
    expect(create(GVK.event, { involvedObject, reason: 'Started', type: 'Normal' })).toEqual([]);
    expect(
      lines(create(GVK.event, { involvedObject: { ...involvedObject, namespace: 'other' }, type: 'Loud' })),
    ).toEqual([
      'involvedObject.namespace: Invalid value: "other": does not match event.namespace',
      'type: Unsupported value: "Loud": supported values: "Normal", "Warning"',
    ]);
  });

  it('requires the reporting fields of an events.k8s.io event', () => {
    expect(lines(create(GVK.eventsEvent, { type: 'Normal' }))).toEqual([
      'eventTime: Required value',
      'reportingController: Required value',
      'reportingInstance: Required value',
      'action: Required value',
      'reason: Required value',
    ]);
  });
});
