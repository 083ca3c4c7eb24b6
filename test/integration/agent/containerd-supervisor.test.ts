import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContainerdSupervisor, criAnswers } from '../../../agent/containerd/containerd-supervisor.js';
import {
  BUNDLED_BUSYBOX_IMAGE,
  BUNDLED_PAUSE_IMAGE,
  buildBusyboxImage,
  PAUSE_ENTRYPOINT,
} from '../../../agent/images/busybox-oci.js';
import { ImageLoader } from '../../../agent/images/image-loader.js';
import { CriClient } from '../../../shim/index.js';

const log = pino({ level: process.env.SKIFF_LOG_LEVEL ?? 'silent' });
let dir: string;
let endpoint: string;
let supervisor: ContainerdSupervisor;
let archives: string;

async function until(what: string, fn: () => Promise<boolean>, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await fn())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function imageNames(): Promise<string[]> {
  const cri = new CriClient({ endpoint });
  try {
    return (await cri.images.listImages()).flatMap((i) => i.repoTags);
  } finally {
    cri.close();
  }
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'skiff-ctrd-sup-'));
  endpoint = `unix://${join(dir, 'run', 'containerd.sock')}`;
  archives = join(dir, 'archives');
  await mkdir(archives);
  await buildBusyboxImage({ name: BUNDLED_PAUSE_IMAGE, entrypoint: PAUSE_ENTRYPOINT, outDir: archives });
  await buildBusyboxImage({ name: BUNDLED_BUSYBOX_IMAGE, outDir: archives });
  supervisor = new ContainerdSupervisor({
    endpoint,
    configDir: join(dir, 'config'),
    root: join(dir, 'root'),
    state: join(dir, 'state'),
    sandboxImage: BUNDLED_PAUSE_IMAGE,
    cgroupDriver: 'cgroupfs',
    cniConfDir: join(dir, 'net.d'),
    cniBinDir: '/usr/lib/cni',
    registryConfigDir: join(dir, 'certs.d'),
    log,
  });
}, 60_000);

afterAll(async () => {
  await supervisor?.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ContainerdSupervisor', () => {
  it('starts containerd with skiff config when nothing answers, and restarts it when it dies', async () => {
    expect(await criAnswers(endpoint, 500)).toBe(false);
    expect(await supervisor.ensure()).toBe('started');
    expect(await criAnswers(endpoint)).toBe(true);
    const first = supervisor.pid;
    expect(first).toBeGreaterThan(0);
    process.kill(first as number, 'SIGKILL');
    await until(
      'containerd restarted',
      async () => supervisor.pid !== first && (await criAnswers(endpoint, 500)),
    );
    expect(supervisor.restarts).toBe(1);
  }, 60_000);

  it('leaves a runtime that already answers alone', async () => {
    const other = new ContainerdSupervisor({
      endpoint,
      configDir: join(dir, 'other-config'),
      root: join(dir, 'other-root'),
      state: join(dir, 'other-state'),
      sandboxImage: BUNDLED_PAUSE_IMAGE,
      cgroupDriver: 'cgroupfs',
      cniConfDir: join(dir, 'net.d'),
      cniBinDir: '/usr/lib/cni',
      registryConfigDir: join(dir, 'certs.d'),
      log,
    });
    expect(await other.ensure()).toBe('external');
    expect(other.pid).toBeUndefined();
  });
});

describe('ImageLoader', () => {
  it('imports bundled archives at start and archives dropped into the air-gap dir later', async () => {
    const bundled = join(dir, 'bundled');
    const airgap = join(dir, 'airgap');
    await mkdir(bundled);
    const pauseArchive = join(archives, `${BUNDLED_PAUSE_IMAGE.replace(/[^a-zA-Z0-9.-]+/g, '_')}.oci.tar`);
    await copyFile(pauseArchive, join(bundled, 'pause.tar'));
    // Not an archive name: ignored.
    await writeFile(join(bundled, 'README'), 'not an image');
    const loader = new ImageLoader({ criEndpoint: endpoint, log, bundledDir: bundled, watchDir: airgap });
    try {
      await loader.start();
      expect(await imageNames()).toContain(BUNDLED_PAUSE_IMAGE);
      expect(await imageNames()).not.toContain(BUNDLED_BUSYBOX_IMAGE);
      const busyboxArchive = join(
        archives,
        `${BUNDLED_BUSYBOX_IMAGE.replace(/[^a-zA-Z0-9.-]+/g, '_')}.oci.tar`,
      );
      await copyFile(busyboxArchive, join(airgap, 'busybox.tar'));
      await until('busybox imported from the air-gap dir', async () => {
        await loader.settled();
        return (await imageNames()).includes(BUNDLED_BUSYBOX_IMAGE);
      });
      // A broken archive is reported, not fatal, and does not stop later imports.
      await writeFile(join(airgap, 'broken.tar'), 'garbage');
      await new Promise((r) => setTimeout(r, 1500));
      await loader.settled();
      expect(await criAnswers(endpoint)).toBe(true);
    } finally {
      loader.stop();
    }
  }, 60_000);
});
