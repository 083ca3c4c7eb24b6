import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { RESOURCES } from '../../../api/resources.js';
import type { RequestContext } from '../../../control-plane/apiserver/registry/context.js';
import { ResourceStore } from '../../../control-plane/apiserver/registry/resource-store.js';
import { EtcdStore } from '../../../control-plane/storage/etcd-store.js';
import { startTestEtcd, type TestEtcd } from '../../support/etcd.js';

let etcd: TestEtcd;
let store: EtcdStore;
let configMaps: ResourceStore;

const ctx = (): RequestContext => ({
  user: { username: 'test', groups: ['system:masters'] },
  namespace: 'default',
  dryRun: false,
  fieldValidation: 'Strict',
  warnings: [],
  now: new Date(),
});

beforeAll(async () => {
  etcd = await startTestEtcd();
  store = new EtcdStore({ endpoints: [etcd.endpoint], log: pino({ level: 'silent' }) });
  const def = RESOURCES.find((r) => r.group === '' && r.plural === 'configmaps');
  if (!def) throw new Error('configmaps not served');
  configMaps = new ResourceStore(def, store);
});
afterAll(async () => {
  vi.restoreAllMocks();
  await store?.close();
  await etcd?.stop();
});

describe('generateName', () => {
  it('draws another name when the generated one is taken, as upstream RetryGenerateName', async () => {
    // The first suffix drawn is "bbbbb" (Math.random 0); that name exists already.
    await configMaps.create({ metadata: { name: 'gen-bbbbb' }, data: { first: 'yes' } }, ctx());
    const draws = [0, 0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.5];
    vi.spyOn(Math, 'random').mockImplementation(() => draws.shift() ?? 0.9);
    const created = await configMaps.create(
      { metadata: { generateName: 'gen-' }, data: { second: 'yes' } },
      ctx(),
    );
    vi.restoreAllMocks();
    expect(created.metadata.name).toMatch(/^gen-[^b]{5}$/);
    expect(created.metadata.name).not.toBe('gen-bbbbb');
    expect((await configMaps.get('default', 'gen-bbbbb')).data).toEqual({ first: 'yes' });
  });

  it('still refuses a taken explicit name', async () => {
    await expect(configMaps.create({ metadata: { name: 'gen-bbbbb' } }, ctx())).rejects.toMatchObject({
      reason: 'AlreadyExists',
    });
  });
});
