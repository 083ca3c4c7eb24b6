import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { PodNetwork } from '../../../agent/cni/pod-network.js';
import { ApiClient } from '../../../client/rest-client.js';
import type { CriClient, RuntimeCondition } from '../../../shim/index.js';

const log = pino({ level: 'silent' });
// Nothing listens there: the Node informer keeps retrying, the --pod-cidr path works alone.
const api = new ApiClient({ server: 'https://127.0.0.1:1', insecure: true }, { component: 'test' });

function fakeCri(conditions: RuntimeCondition[]): CriClient {
  return { runtime: { status: async () => ({ status: { conditions } }) } } as unknown as CriClient;
}

const cleanups: (() => Promise<void>)[] = [];
afterAll(() => api.close());
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function until(fn: () => Promise<boolean>): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('PodNetwork', () => {
  it('writes the conflist for --pod-cidr and is ready once the runtime reports NetworkReady', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'skiff-cni-unit-'));
    const conditions: RuntimeCondition[] = [
      { type: 'RuntimeReady', status: true, reason: '', message: '' },
      {
        type: 'NetworkReady',
        status: false,
        reason: 'NetworkPluginNotReady',
        message: 'Network plugin returns error: cni plugin not initialized',
      },
    ];
    const net = new PodNetwork({
      api,
      cri: fakeCri(conditions),
      log,
      nodeName: 'n1',
      confDir: join(dir, 'net.d'),
      confFile: '05-test.conflist',
      bridge: 'br-test',
      podCIDRs: ['10.9.0.0/24'],
    });
    const stop = new AbortController();
    const done = net.run(stop.signal);
    cleanups.push(async () => {
      stop.abort();
      await done;
      await rm(dir, { recursive: true, force: true });
    });
    expect(net.notReadyMessage()).toMatch(
      /^container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:no pod CIDR assigned to node n1 yet/,
    );
    await until(async () => net.podCIDRs.length > 0);
    const conf = JSON.parse(await readFile(join(dir, 'net.d', '05-test.conflist'), 'utf8'));
    expect(conf.name).toBe('skiff-br-test');
    expect(conf.plugins[0].bridge).toBe('br-test');
    expect(conf.plugins[0].ipam.ranges).toEqual([[{ subnet: '10.9.0.0/24' }]]);
    expect(await readdir(join(dir, 'net.d'))).toEqual(['05-test.conflist']);
    expect(net.notReadyMessage()).toBe(
      'container runtime network not ready: NetworkReady=false reason:NetworkPluginNotReady message:Network plugin returns error: cni plugin not initialized',
    );
    (conditions[1] as RuntimeCondition).status = true;
    await net.checkRuntime();
    expect(net.notReadyMessage()).toBeUndefined();
  });

  it('counts an unreachable runtime as a network that is not ready', async () => {
    const cri = {
      runtime: {
        status: async () => {
          throw new Error('connect ENOENT');
        },
      },
    } as unknown as CriClient;
    const net = new PodNetwork({ api, cri, log, nodeName: 'n1', confDir: '/nonexistent', podCIDRs: [] });
    net.observeRuntime([{ type: 'NetworkReady', status: true, reason: '', message: '' }]);
    await net.checkRuntime();
    // Still no conflist, which is reported first.
    expect(net.notReadyMessage()).toMatch(/no pod CIDR assigned/);
  });

  it('without a conf dir writes nothing and follows the runtime NetworkReady alone', async () => {
    const net = new PodNetwork({ api, cri: fakeCri([]), log, nodeName: 'n1', podCIDRs: ['10.9.0.0/24'] });
    expect(net.confPath).toBeUndefined();
    await net.checkRuntime();
    expect(net.notReadyMessage()).toMatch(
      /reason:NetworkPluginNotReady message:the runtime reports no NetworkReady/,
    );
    net.observeRuntime([{ type: 'NetworkReady', status: true, reason: '', message: '' }]);
    expect(net.notReadyMessage()).toBeUndefined();
  });

  it('refuses a malformed --pod-cidr at start', () => {
    expect(
      () => new PodNetwork({ api, cri: fakeCri([]), log, nodeName: 'n1', podCIDRs: ['10.0.0.0/40'] }),
    ).toThrow(/invalid CIDR/);
  });
});
