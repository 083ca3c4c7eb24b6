import { mkdir, mkdtemp, readdir, readFile, readlink, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConfigMap, Pod, Secret } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Payload, writeAtomic } from '../../../agent/volumes/atomic-writer.js';
import { containerVolumeMounts, expandSubPathExpr } from '../../../agent/volumes/container-mounts.js';
import { checkHostPath } from '../../../agent/volumes/host-path.js';
import { configMapPayload, downwardApiPayload, secretPayload } from '../../../agent/volumes/payload.js';
import {
  readTerminationMessage,
  terminationMessageMount,
} from '../../../agent/volumes/termination-message.js';
import { VolumeManager, VolumeSetUpError } from '../../../agent/volumes/volume-manager.js';
import { parseQuantity } from '../../../api/quantity.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-volumes-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const file = (s: string, mode = 0o644) => ({ data: Buffer.from(s), mode });
const modeOf = async (p: string) => (await stat(p)).mode & 0o777;

describe('atomic writer', () => {
  it('writes files into a timestamped directory behind ..data, names as symlinks into it', async () => {
    const vol = join(dir, 'v');
    const payload: Payload = new Map([
      ['a', file('A')],
      ['sub/b', file('B', 0o600)],
    ]);
    expect(await writeAtomic(vol, payload, { now: new Date(Date.UTC(2026, 0, 2, 3, 4, 5)) })).toBe(true);
    const ts = await readlink(join(vol, '..data'));
    expect(ts).toMatch(/^\.\.2026_01_02_03_04_05\.[0-9a-f]+$/);
    expect(await readlink(join(vol, 'a'))).toBe('..data/a');
    expect(await readlink(join(vol, 'sub'))).toBe('..data/sub');
    expect(await readFile(join(vol, 'a'), 'utf8')).toBe('A');
    expect(await readFile(join(vol, 'sub/b'), 'utf8')).toBe('B');
    expect(await modeOf(join(vol, 'sub/b'))).toBe(0o600);
    expect((await readdir(vol)).sort()).toEqual(['..data', ts, 'a', 'sub'].sort());
  });

  it('does nothing when the content is unchanged, swaps ..data when it changes', async () => {
    const vol = join(dir, 'v');
    await writeAtomic(
      vol,
      new Map([
        ['a', file('1')],
        ['b', file('2')],
      ]),
    );
    const first = await readlink(join(vol, '..data'));
    expect(
      await writeAtomic(
        vol,
        new Map([
          ['a', file('1')],
          ['b', file('2')],
        ]),
      ),
    ).toBe(false);
    expect(await readlink(join(vol, '..data'))).toBe(first);
    expect(
      await writeAtomic(
        vol,
        new Map([
          ['a', file('1', 0o400)],
          ['b', file('2')],
        ]),
      ),
    ).toBe(true);
    expect(await writeAtomic(vol, new Map([['a', file('changed')]]))).toBe(true);
    const second = await readlink(join(vol, '..data'));
    expect(second).not.toBe(first);
    expect(await readFile(join(vol, 'a'), 'utf8')).toBe('changed');
    // The removed key's link and the old directory are gone.
    expect((await readdir(vol)).sort()).toEqual(['..data', second, 'a'].sort());
  });

  it('gives an fsGroup the files, directories setgid', async () => {
    const vol = join(dir, 'v');
    await writeAtomic(vol, new Map([['sub/a', file('A', 0o440)]]), { fsGroup: 4321 });
    const f = await stat(join(vol, 'sub/a'));
    expect(f.gid).toBe(4321);
    const d = await stat(join(vol, 'sub'));
    expect(d.gid).toBe(4321);
    expect(d.mode & 0o2000).toBe(0o2000);
  });

  it('refuses paths that leave the volume', async () => {
    await expect(writeAtomic(dir, new Map([['/etc/x', file('x')]]))).rejects.toThrow('must not be absolute');
    await expect(writeAtomic(dir, new Map([['a/../../x', file('x')]]))).rejects.toThrow(
      "must not contain '..'",
    );
    await expect(writeAtomic(dir, new Map([['..x', file('x')]]))).rejects.toThrow("must not start with '..'");
  });
});

describe('payloads', () => {
  const cm: ConfigMap = {
    data: { a: 'A', b: 'B' },
    binaryData: { bin: Buffer.from([1, 2]).toString('base64') },
  };
  it('projects every key with the default mode, or the chosen items with their paths and modes', () => {
    const all = configMapPayload(cm, undefined, 0o644, false);
    expect([...all.keys()].sort()).toEqual(['a', 'b', 'bin']);
    expect(all.get('bin')?.data).toEqual(Buffer.from([1, 2]));
    const some = configMapPayload(cm, [{ key: 'a', path: 'dir/x', mode: 0o400 }], 0o644, false);
    expect([...some]).toEqual([['dir/x', { data: Buffer.from('A'), mode: 0o400 }]]);
  });
  it('fails on a missing item key unless optional', () => {
    expect(() => configMapPayload(cm, [{ key: 'z', path: 'z' }], 0o644, false)).toThrow(
      'configmap references non-existent config key: z',
    );
    expect(configMapPayload(cm, [{ key: 'z', path: 'z' }], 0o644, true).size).toBe(0);
    const s: Secret = { data: { k: Buffer.from('v').toString('base64') } };
    expect(secretPayload(s, undefined, 0o644, false).get('k')?.data.toString()).toBe('v');
    expect(() => secretPayload(s, [{ key: 'z', path: 'z' }], 0o644, false)).toThrow(
      'references non-existent secret key: z',
    );
  });
  it('writes downward API fields and resources', () => {
    const pod: Pod = {
      metadata: { name: 'p', labels: { b: '2', a: '1' } },
      spec: { containers: [{ name: 'c', resources: { limits: { memory: '64Mi' } } }] },
    };
    const p = downwardApiPayload(
      pod,
      [
        { path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } },
        { path: 'mem', resourceFieldRef: { containerName: 'c', resource: 'limits.memory', divisor: '1Mi' } },
      ],
      0o644,
      { hostIPs: [], podIPs: [] },
      { memory: parseQuantity('1Gi') },
    );
    expect(p.get('labels')?.data.toString()).toBe('a="1"\nb="2"');
    expect(p.get('mem')?.data.toString()).toBe('64');
  });
});

describe('hostPath types', () => {
  it('creates for the OrCreate types and checks the others', async () => {
    await checkHostPath(join(dir, 'new/dir'), 'DirectoryOrCreate');
    expect((await stat(join(dir, 'new/dir'))).isDirectory()).toBe(true);
    await checkHostPath(join(dir, 'f'), 'FileOrCreate');
    expect((await stat(join(dir, 'f'))).isFile()).toBe(true);
    await checkHostPath(join(dir, 'f'), 'File');
    await checkHostPath(dir, 'Directory');
    await checkHostPath(join(dir, 'missing'), '');
    await expect(checkHostPath(join(dir, 'missing'), 'Directory')).rejects.toThrow(
      `hostPath type check failed: ${join(dir, 'missing')} is not a directory`,
    );
    await expect(checkHostPath(join(dir, 'f'), 'Directory')).rejects.toThrow('is not a directory');
    await expect(checkHostPath(dir, 'File')).rejects.toThrow('is not a file');
    await expect(checkHostPath(dir, 'FileOrCreate')).rejects.toThrow('is not a file');
    await expect(checkHostPath(join(dir, 'f'), 'Socket')).rejects.toThrow('is not a socket file');
    await expect(checkHostPath('/dev/null', 'BlockDevice')).rejects.toThrow('is not a block device');
    await checkHostPath('/dev/null', 'CharDevice');
    const sock = join(dir, 's.sock');
    const server = createServer().listen(sock);
    await new Promise((r) => server.once('listening', r));
    await checkHostPath(sock, 'Socket');
    server.close();
  });
});

describe('container mounts', () => {
  const volumes = (name: string) =>
    name === 'data'
      ? { hostPath: join(dir, 'data'), readOnly: false }
      : name === 'cfg'
        ? { hostPath: join(dir, 'cfg'), readOnly: true }
        : undefined;

  it('maps readOnly, propagation, subPath (made when missing) and subPathExpr', async () => {
    await mkdir(join(dir, 'data'));
    await mkdir(join(dir, 'cfg'));
    const mounts = await containerVolumeMounts(
      {
        name: 'c',
        volumeMounts: [
          { name: 'data', mountPath: '/data', mountPropagation: 'HostToContainer' },
          { name: 'data', mountPath: '/ro', readOnly: true, subPath: 'a/b' },
          { name: 'cfg', mountPath: '/cfg' },
          { name: 'data', mountPath: '/mine', subPathExpr: 'pods/$(POD)' },
        ],
      },
      volumes,
      [{ key: 'POD', value: 'p1' }],
    );
    expect(mounts).toEqual([
      {
        containerPath: '/data',
        hostPath: join(dir, 'data'),
        readonly: false,
        propagation: 'PROPAGATION_HOST_TO_CONTAINER',
      },
      {
        containerPath: '/ro',
        hostPath: join(dir, 'data/a/b'),
        readonly: true,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/cfg',
        hostPath: join(dir, 'cfg'),
        readonly: true,
        propagation: 'PROPAGATION_PRIVATE',
      },
      {
        containerPath: '/mine',
        hostPath: join(dir, 'data/pods/p1'),
        readonly: false,
        propagation: 'PROPAGATION_PRIVATE',
      },
    ]);
    expect((await stat(join(dir, 'data/a/b'))).isDirectory()).toBe(true);
  });

  it('refuses unknown volumes, subPaths escaping through symlinks and unset subPathExpr variables', async () => {
    await mkdir(join(dir, 'data'));
    await symlink('/etc', join(dir, 'data/evil'));
    await expect(
      containerVolumeMounts({ name: 'c', volumeMounts: [{ name: 'x', mountPath: '/x' }] }, volumes, []),
    ).rejects.toThrow('cannot find volume "x" to mount into container "c"');
    await expect(
      containerVolumeMounts(
        { name: 'c', volumeMounts: [{ name: 'data', mountPath: '/x', subPath: 'evil' }] },
        volumes,
        [],
      ),
    ).rejects.toThrow('resolves outside volume');
    expect(() => expandSubPathExpr('$(A)/$(B)', [{ key: 'A', value: 'a' }])).toThrow('missing value for B');
  });
});

describe('termination message', () => {
  it('mounts a fresh writable file and reads it back, or the log tail on failure', async () => {
    const spec = { name: 'c', terminationMessagePolicy: 'FallbackToLogsOnError' };
    const m = await terminationMessageMount(dir, spec);
    expect(m.containerPath).toBe('/dev/termination-log');
    expect(m.hostPath?.startsWith(join(dir, 'containers', 'c'))).toBe(true);
    expect(await modeOf(m.hostPath ?? '')).toBe(0o666);
    const log = join(dir, 'c.log');
    await writeFile(
      log,
      '2026-01-01T00:00:00.000000000Z stdout F first\n2026-01-01T00:00:00.000000000Z stderr P part-\n2026-01-01T00:00:00.000000000Z stderr F two\n',
    );
    expect(await readTerminationMessage(spec, { mounts: [m], exitCode: 2 }, log)).toBe('first\npart-two\n');
    expect(await readTerminationMessage(spec, { mounts: [m], exitCode: 0 }, log)).toBe('');
    await writeFile(m.hostPath ?? '', 'bye');
    expect(await readTerminationMessage(spec, { mounts: [m], exitCode: 2 }, log)).toBe('bye');
  });
});

describe('volume manager', () => {
  function manager(cms: Record<string, ConfigMap>) {
    return new VolumeManager({
      rootDir: dir,
      log: pino({ level: 'silent' }),
      sources: { configMap: async (_ns, n) => cms[n], secret: async () => undefined },
      tokens: { token: async () => undefined, forget: () => undefined },
      addresses: () => ({ hostIPs: ['10.0.0.1'], podIPs: ['10.0.0.1'] }),
      allocatable: async () => ({}),
      nodeMemoryBytes: () => 1 << 30,
      tmpfs: false,
    });
  }
  const pod: Pod = {
    metadata: { name: 'p', namespace: 'default', uid: 'uid1', labels: { app: 'x' } },
    spec: {
      containers: [{ name: 'c' }],
      volumes: [
        { name: 'scratch', emptyDir: {} },
        { name: 'cfg', configMap: { name: 'cm' } },
        { name: 'opt', configMap: { name: 'gone', optional: true } },
        {
          name: 'info',
          downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] },
        },
        {
          name: 'all',
          projected: {
            sources: [
              { configMap: { name: 'cm', items: [{ key: 'k', path: 'from-cm' }] } },
              { downwardAPI: { items: [{ path: 'name', fieldRef: { fieldPath: 'metadata.name' } }] } },
              { serviceAccountToken: { path: 'token' } },
            ],
          },
        },
      ],
    },
  };

  it('lays volumes out as upstream, updates them in place and removes them', async () => {
    const cms: Record<string, ConfigMap> = { cm: { data: { k: 'v1' } } };
    const vm = manager(cms);
    await vm.setUp(pod);
    const vols = join(dir, 'pods/uid1/volumes');
    expect(await modeOf(join(vols, 'kubernetes.io~empty-dir/scratch'))).toBe(0o777);
    expect(await readFile(join(vols, 'kubernetes.io~configmap/cfg/k'), 'utf8')).toBe('v1');
    const opt = await readdir(join(vols, 'kubernetes.io~configmap/opt'));
    expect(opt).toHaveLength(2);
    expect(opt).toContain('..data');
    expect(await readFile(join(vols, 'kubernetes.io~downward-api/info/labels'), 'utf8')).toBe('app="x"');
    expect(await readFile(join(vols, 'kubernetes.io~projected/all/from-cm'), 'utf8')).toBe('v1');
    expect(await readFile(join(vols, 'kubernetes.io~projected/all/name'), 'utf8')).toBe('p');
    expect(vm.volumePath(pod, 'cfg')).toEqual({
      hostPath: join(vols, 'kubernetes.io~configmap/cfg'),
      readOnly: true,
    });
    expect(vm.volumePath(pod, 'scratch')?.readOnly).toBe(false);

    cms.cm = { data: { k: 'v2' } };
    await vm.setUp({ ...pod, metadata: { ...pod.metadata, labels: { app: 'y' } } });
    expect(await readFile(join(vols, 'kubernetes.io~configmap/cfg/k'), 'utf8')).toBe('v2');
    expect(await readFile(join(vols, 'kubernetes.io~downward-api/info/labels'), 'utf8')).toBe('app="y"');

    await vm.tearDown('uid1');
    await expect(stat(join(dir, 'pods/uid1'))).rejects.toThrow();
  });

  it('keeps the last content when a source disappears later, without blocking the pod', async () => {
    const cms: Record<string, ConfigMap> = { cm: { data: { k: 'v1' } } };
    const vm = manager(cms);
    await vm.setUp(pod);
    delete cms.cm;
    const err = await vm.setUp(pod).catch((e) => e);
    expect(err).toBeInstanceOf(VolumeSetUpError);
    expect(err.blocking).toBe(false);
    expect(await readFile(join(dir, 'pods/uid1/volumes/kubernetes.io~configmap/cfg/k'), 'utf8')).toBe('v1');
    // A kubelet restarted meanwhile finds the content on disk.
    expect(
      (
        await manager({})
          .setUp(pod)
          .catch((e) => e)
      ).blocking,
    ).toBe(false);
  });

  it('reports each failing volume as upstream words it', async () => {
    const vm = manager({});
    const err = await vm.setUp(pod).catch((e) => e);
    expect(err).toBeInstanceOf(VolumeSetUpError);
    expect(err.blocking).toBe(true);
    expect(err.failures).toEqual([
      'MountVolume.SetUp failed for volume "cfg" : configmap "cm" not found',
      'MountVolume.SetUp failed for volume "all" : configmap "cm" not found',
    ]);
  });
});
