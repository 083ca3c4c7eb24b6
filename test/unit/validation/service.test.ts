import { describe, expect, it } from 'vitest';
import { create, GVK, type Loose, lines, make, update } from './helpers.js';

const svc = (spec: Record<string, unknown>) => create(GVK.service, { spec });

describe('service validation', () => {
  it('accepts defaulted services of each type', () => {
    expect(svc({ selector: { app: 'web' }, ports: [{ port: 80 }] })).toEqual([]);
    expect(svc({ type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })).toEqual([]);
    expect(svc({ type: 'LoadBalancer', ports: [{ port: 443, targetPort: 'https' }] })).toEqual([]);
    expect(svc({ type: 'ExternalName', externalName: 'db.example.com' })).toEqual([]);
    expect(svc({ clusterIP: 'None', selector: { app: 'web' } })).toEqual([]);
  });

  it('requires ports for non-headless, non-ExternalName services', () => {
    expect(lines(svc({ selector: { app: 'web' } }))).toEqual(['spec.ports: Required value']);
  });

  it('checks the type enum and port ranges', () => {
    expect(lines(svc({ type: 'Magic', ports: [{ port: 0 }] }))).toEqual([
      'spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"',
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
    ]);
  });

  it('requires unique port names, and names when there are several ports', () => {
    expect(lines(svc({ ports: [{ port: 80 }, { name: 'b', port: 81 }, { name: 'b', port: 82 }] }))).toEqual([
      'spec.ports[0].name: Required value',
      'spec.ports[2].name: Duplicate value: "b"',
    ]);
  });

  it('rejects duplicate port/protocol pairs and bad protocols', () => {
    const errs = lines(
      svc({
        ports: [
          { name: 'a', port: 80 },
          { name: 'b', port: 80 },
          { name: 'c', port: 81, protocol: 'HTTP' },
        ],
      }),
    );
    expect(errs[0]).toBe('spec.ports[1]: Duplicate value: {"port":80,"protocol":"TCP"}');
    expect(errs[1]).toBe(
      'spec.ports[2].protocol: Unsupported value: "HTTP": supported values: "SCTP", "TCP", "UDP"',
    );
  });

  it('forbids node ports and external traffic policy on ClusterIP services', () => {
    expect(lines(svc({ ports: [{ port: 80, nodePort: 30000 }], externalTrafficPolicy: 'Local' }))).toEqual([
      "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
      "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set when `type` is 'NodePort' or 'LoadBalancer'",
    ]);
  });

  it('requires an externalName for ExternalName services and valid cluster IPs', () => {
    expect(lines(svc({ type: 'ExternalName' }))).toEqual(['spec.externalName: Required value']);
    expect(lines(svc({ clusterIP: '10.0.0.300', ports: [{ port: 80 }] }))).toEqual([
      'spec.clusterIPs[0]: Invalid value: "10.0.0.300": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
    ]);
  });

  it('keeps an allocated cluster IP on update', () => {
    const old = make(GVK.service, {
      spec: { ports: [{ port: 80 }], clusterIP: '10.96.0.10', clusterIPs: ['10.96.0.10'] },
    });
    const same: Loose = structuredClone(old);
    same.spec.ports[0].port = 81;
    expect(update(GVK.service, same, old)).toEqual([]);
    const moved: Loose = structuredClone(old);
    moved.spec.clusterIP = '10.96.0.11';
    moved.spec.clusterIPs = ['10.96.0.11'];
    expect(lines(update(GVK.service, moved, old))).toEqual([
      'spec.clusterIPs[0]: Invalid value: "10.96.0.11": may not change once set',
    ]);
    const external: Loose = structuredClone(old);
    external.spec = { type: 'ExternalName', externalName: 'example.com' };
    expect(update(GVK.service, external, old)).toEqual([]);
  });
});
