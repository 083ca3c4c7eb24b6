import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { SkiffError } from '../../../api/errors.js';
import { EmbeddedEtcd, embeddedEtcdArgs, etcdAnswers } from '../../../control-plane/storage/embedded-etcd.js';
import { freePort } from '../../support/ports.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function tempDir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'skiff-embedded-'));
  dirs.push(d);
  return d;
}

async function until(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return false;
}

describe('EmbeddedEtcd', () => {
  it('starts etcd, restarts it when it dies, and stops it', async () => {
    const etcd = new EmbeddedEtcd({
      dataDir: join(await tempDir(), 'etcd'),
      clientPort: await freePort(),
      peerPort: await freePort(),
      log: pino({ level: 'silent' }),
    });
    try {
      const url = await etcd.start();
      expect(await etcdAnswers(url)).toBe(true);
      const pid = etcd.pid as number;
      process.kill(pid, 'SIGKILL');
      expect(await until(async () => etcd.pid !== pid && (await etcdAnswers(url)), 15_000)).toBe(true);
      expect(etcd.restarts).toBe(1);
      await etcd.stop();
      expect(await etcdAnswers(url)).toBe(false);
      await new Promise((r) => setTimeout(r, 1_500));
      expect(await etcdAnswers(url)).toBe(false);
    } finally {
      await etcd.stop();
    }
  });

  it('fails with a clear SkiffError when its port is taken', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const etcd = new EmbeddedEtcd({
      dataDir: join(await tempDir(), 'etcd'),
      clientPort: port,
      peerPort: await freePort(),
      log: pino({ level: 'silent' }),
    });
    try {
      const err = await etcd.start().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SkiffError);
      expect((err as SkiffError).code).toBe('SKIFF_ETCD_PORT_IN_USE');
      expect((err as SkiffError).message).toContain(`127.0.0.1:${port} is already in use`);
    } finally {
      busy.close();
      await etcd.stop();
    }
  });

  it('replaces an etcd left running on its data dir by a killed skiff', async () => {
    const dataDir = join(await tempDir(), 'etcd');
    await mkdir(dataDir, { recursive: true });
    const clientPort = await freePort();
    const peerPort = await freePort();
    const stale = spawn('/usr/bin/etcd', embeddedEtcdArgs(dataDir, clientPort, peerPort), {
      stdio: 'ignore',
    });
    await writeFile(join(dataDir, 'skiff-etcd.pid'), `${stale.pid}\n`);
    expect(await until(() => etcdAnswers(`http://127.0.0.1:${clientPort}`), 15_000)).toBe(true);
    const staleExit = new Promise((r) => stale.once('exit', r));
    const etcd = new EmbeddedEtcd({ dataDir, clientPort, peerPort, log: pino({ level: 'silent' }) });
    try {
      await etcd.start();
      await staleExit;
      expect(etcd.pid).not.toBe(stale.pid);
      expect(await etcdAnswers(etcd.clientUrl)).toBe(true);
    } finally {
      stale.kill('SIGKILL');
      await etcd.stop();
    }
  });
});
