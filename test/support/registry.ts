import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.js';

const run = promisify(execFile);
const REGISTRY = '/usr/bin/docker-registry';

/** Credentials of an authenticated test registry; the bcrypt hash (cost 4) is of this password. */
export const REGISTRY_USER = 'skiff';
export const REGISTRY_PASSWORD = 'skiff-secret';
const REGISTRY_HTPASSWD = `${REGISTRY_USER}:$2b$04$1gJ1EcDOjta/ms9C6UvabeLnhQKlp88XSIq8D.W5Zm3xBHwGGtHc6\n`;

export interface TestRegistry {
  /** `127.0.0.1:<port>`: image references are `<host>/<repo>:<tag>`. */
  host: string;
  /** Uploads the image of an OCI archive (one manifest) as `<host>/<repo>:<tag>`; returns the reference. */
  push(ociTar: string, repo: string, tag: string): Promise<string>;
  stop(): Promise<void>;
}

/** Debian's docker-registry (distribution 2.8) on a free loopback port, plain HTTP, optional htpasswd auth. */
export async function startTestRegistry(opts: { auth?: boolean } = {}): Promise<TestRegistry> {
  if (!existsSync(REGISTRY))
    throw new Error(`${REGISTRY} is missing: install docker-registry (scripts/host-packages.sh)`);
  const dir = await mkdtemp(join(tmpdir(), 'skiff-registry-'));
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const auth = opts.auth
    ? `auth:\n  htpasswd:\n    realm: skiff-test\n    path: ${join(dir, 'htpasswd')}\n`
    : '';
  await writeFile(join(dir, 'htpasswd'), REGISTRY_HTPASSWD);
  await writeFile(
    join(dir, 'config.yml'),
    `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: ${host}\n${auth}`,
  );
  let output = '';
  const child: ChildProcess = spawn(REGISTRY, ['serve', join(dir, 'config.yml')], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr?.on('data', (d) => {
    output = (output + String(d)).slice(-4000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  const authHeader: Record<string, string> = opts.auth
    ? { authorization: `Basic ${Buffer.from(`${REGISTRY_USER}:${REGISTRY_PASSWORD}`).toString('base64')}` }
    : {};

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`docker-registry exited (${child.exitCode}):\n${output}`);
    }
    const up = await fetch(`http://${host}/v2/`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry not up on ${host} in 10s:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }

  const push = async (ociTar: string, repo: string, tag: string): Promise<string> => {
    const layout = await mkdtemp(join(tmpdir(), 'skiff-push-'));
    try {
      await run('tar', ['-xf', ociTar, '-C', layout]);
      const index = JSON.parse(await readFile(join(layout, 'index.json'), 'utf8'));
      const desc = index.manifests[0] as { digest: string; mediaType: string };
      const blob = (digest: string) => readFile(join(layout, 'blobs', ...digest.split(':')));
      const manifestBytes = await blob(desc.digest);
      const manifest = JSON.parse(manifestBytes.toString()) as {
        config: { digest: string };
        layers: { digest: string }[];
      };
      for (const digest of [manifest.config.digest, ...manifest.layers.map((l) => l.digest)]) {
        const start = await fetch(`http://${host}/v2/${repo}/blobs/uploads/`, {
          method: 'POST',
          headers: authHeader,
        });
        if (start.status !== 202)
          throw new Error(`registry upload start: ${start.status} ${await start.text()}`);
        const location = new URL(start.headers.get('location') ?? '', `http://${host}`);
        location.searchParams.set('digest', digest);
        const put = await fetch(location, {
          method: 'PUT',
          headers: { ...authHeader, 'content-type': 'application/octet-stream' },
          body: await blob(digest),
        });
        if (put.status !== 201)
          throw new Error(`registry blob upload ${digest}: ${put.status} ${await put.text()}`);
      }
      const res = await fetch(`http://${host}/v2/${repo}/manifests/${tag}`, {
        method: 'PUT',
        headers: { ...authHeader, 'content-type': desc.mediaType },
        body: manifestBytes,
      });
      if (res.status !== 201) throw new Error(`registry manifest upload: ${res.status} ${await res.text()}`);
      return `${host}/${repo}:${tag}`;
    } finally {
      await rm(layout, { recursive: true, force: true });
    }
  };

  return { host, push, stop };
}
