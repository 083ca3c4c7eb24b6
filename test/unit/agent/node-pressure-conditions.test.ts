import type { Node, NodeCondition } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { NO_PRESSURE, type NodePressureState } from '../../../agent/node-pressure.js';
import { NodeRegistration, pressureConditions } from '../../../agent/node-registration.js';
import { notFound } from '../../../api/errors.js';
import type { ApiClient } from '../../../client/rest-client.js';
import type { CriClient } from '../../../shim/index.js';

const T0 = Date.parse('2026-01-02T03:04:05Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('pressure conditions', () => {
  it('says sufficient memory, no disk pressure and sufficient PID when there is no pressure', () => {
    const cs = pressureConditions({ ...NO_PRESSURE }, undefined, T0);
    expect(cs.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
      ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
      ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
    ]);
  });

  it('uses the upstream reasons and messages under pressure', () => {
    const cs = pressureConditions(
      { MemoryPressure: true, DiskPressure: true, PIDPressure: true },
      undefined,
      T0,
    );
    expect(cs.map((c) => [c.type, c.status, c.reason, c.message])).toEqual([
      ['MemoryPressure', 'True', 'KubeletHasInsufficientMemory', 'kubelet has insufficient memory available'],
      ['DiskPressure', 'True', 'KubeletHasDiskPressure', 'kubelet has disk pressure'],
      ['PIDPressure', 'True', 'KubeletHasInsufficientPID', 'kubelet has insufficient PID available'],
    ]);
  });

  it('keeps lastTransitionTime while the status holds and moves it on a change', () => {
    const first = pressureConditions({ ...NO_PRESSURE }, undefined, T0);
    const later = pressureConditions({ ...NO_PRESSURE, DiskPressure: true }, first, T0 + 60_000);
    const byType = (cs: NodeCondition[], t: string) => cs.find((c) => c.type === t);
    expect(byType(later, 'MemoryPressure')?.lastTransitionTime).toBe(iso(T0));
    expect(byType(later, 'MemoryPressure')?.lastHeartbeatTime).toBe(iso(T0 + 60_000));
    expect(byType(later, 'DiskPressure')?.lastTransitionTime).toBe(iso(T0 + 60_000));
  });
});

/** An API holding one Node in memory, counting status writes. */
function fakeApi() {
  let node: Node | undefined;
  const writes: Node[] = [];
  const api = {
    get: async () => {
      if (!node) throw notFound({ group: '', resource: 'nodes' }, 'n1');
      return structuredClone(node);
    },
    create: async (_r: unknown, n: Node) => {
      node = structuredClone(n);
      return structuredClone(node);
    },
    update: async (_r: unknown, n: Node) => {
      node = structuredClone(n);
      return structuredClone(node);
    },
    updateStatus: async (_r: unknown, n: Node) => {
      node = structuredClone(n);
      writes.push(structuredClone(n));
      return structuredClone(node);
    },
  };
  return { api: api as unknown as ApiClient, writes, current: () => node };
}

const readyCri = {
  runtime: {
    version: async () => ({
      runtimeName: 'containerd',
      runtimeVersion: '1.6.20',
      version: '0.1.0',
      runtimeApiVersion: 'v1',
    }),
    status: async () => ({
      status: { conditions: [{ type: 'RuntimeReady', status: true, reason: '', message: '' }] },
      info: {},
      runtimeHandlers: [],
      features: null,
    }),
  },
} as unknown as CriClient;

describe('NodeRegistration with a pressure source', () => {
  it('writes the Node status when a pressure condition changes, and not otherwise', async () => {
    const { api, writes, current } = fakeApi();
    let state: NodePressureState = { ...NO_PRESSURE };
    let now = T0;
    const reg = new NodeRegistration({
      api,
      cri: readyCri,
      log: pino({ level: 'silent' }),
      nodeName: 'n1',
      nodeIP: '10.0.0.1',
      host: {
        cpus: 2,
        memoryBytes: 8 * 1024 ** 3,
        ephemeralStorageBytes: 100 * 1024 ** 3,
        kernelVersion: '6',
        osImage: 'x',
        architecture: 'amd64',
      },
      now: () => now,
      pressure: { sync: async () => state },
    });
    await reg.sync();
    expect(writes.length).toBe(1);
    now += 10_000;
    await reg.sync();
    // Nothing changed and no heartbeat due: no write.
    const afterQuiet = writes.length;
    expect(afterQuiet).toBe(1);
    state = { ...NO_PRESSURE, MemoryPressure: true };
    now += 10_000;
    await reg.sync();
    expect(writes.length).toBe(afterQuiet + 1);
    const mem = current()?.status?.conditions?.find((c) => c.type === 'MemoryPressure');
    expect(mem).toMatchObject({ status: 'True', reason: 'KubeletHasInsufficientMemory' });
    expect(current()?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('True');
  });

  it('records upstream Node events on pressure transitions (and on first registration)', async () => {
    const { api } = fakeApi();
    const events: string[] = [];
    let state: NodePressureState = { ...NO_PRESSURE };
    let now = T0;
    const reg = new NodeRegistration({
      api,
      cri: readyCri,
      log: pino({ level: 'silent' }),
      nodeName: 'n1',
      nodeIP: '10.0.0.1',
      host: {
        cpus: 2,
        memoryBytes: 1,
        ephemeralStorageBytes: 1,
        kernelVersion: '6',
        osImage: 'x',
        architecture: 'amd64',
      },
      now: () => now,
      pressure: { sync: async () => state },
      events: {
        event: (ref, type, reason, message) =>
          events.push(`${(ref as { kind?: string }).kind}/${type}/${reason}/${message}`),
      },
    });
    await reg.sync();
    expect(events).toEqual([
      'Node/Normal/NodeHasSufficientMemory/Node n1 status is now: NodeHasSufficientMemory',
      'Node/Normal/NodeHasNoDiskPressure/Node n1 status is now: NodeHasNoDiskPressure',
      'Node/Normal/NodeHasSufficientPID/Node n1 status is now: NodeHasSufficientPID',
    ]);
    events.length = 0;
    state = { ...NO_PRESSURE, PIDPressure: true };
    now += 10_000;
    await reg.sync();
    now += 70_000; // a heartbeat write with nothing new: no event
    await reg.sync();
    state = { ...NO_PRESSURE };
    now += 10_000;
    await reg.sync();
    expect(events.map((e) => e.split('/')[2])).toEqual(['NodeHasInsufficientPID', 'NodeHasSufficientPID']);
  });

  it('keeps the last pressure state when the measurement fails', async () => {
    const { api, current } = fakeApi();
    let fail = false;
    let now = T0;
    const reg = new NodeRegistration({
      api,
      cri: readyCri,
      log: pino({ level: 'silent' }),
      nodeName: 'n1',
      nodeIP: '10.0.0.1',
      host: {
        cpus: 2,
        memoryBytes: 1,
        ephemeralStorageBytes: 1,
        kernelVersion: '6',
        osImage: 'x',
        architecture: 'amd64',
      },
      now: () => now,
      pressure: {
        sync: async () => {
          if (fail) throw new Error('statfs failed');
          return { ...NO_PRESSURE, DiskPressure: true };
        },
      },
    });
    await reg.sync();
    fail = true;
    now += 120_000;
    await reg.sync();
    expect(current()?.status?.conditions?.find((c) => c.type === 'DiskPressure')?.status).toBe('True');
  });
});
