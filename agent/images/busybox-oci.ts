import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const BUSYBOX = '/bin/busybox';

/** The images the build bundles (dist/images/) and every agent imports at start. */
export const BUNDLED_PAUSE_IMAGE = 'docker.io/skiff/pause:1';
export const BUNDLED_BUSYBOX_IMAGE = 'docker.io/skiff/busybox:1';

/** A pause process: sleeps until TERM/INT, then exits at once. */
export const PAUSE_ENTRYPOINT = [
  '/bin/sh',
  '-c',
  "trap 'exit 0' TERM INT; while :; do sleep 3600 & wait $!; done",
];

export interface BusyboxImageOptions {
  /** Full reference stored in the archive, e.g. docker.io/skiff/busybox:test. */
  name: string;
  entrypoint?: string[];
  cmd?: string[];
  /** Directory the archive is written to (default: a fresh temp dir). */
  outDir?: string;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const goArch = (): string =>
  ({ x64: 'amd64', arm64: 'arm64' })[process.arch as 'x64' | 'arm64'] ?? process.arch;

/**
 * Builds an OCI image archive (oci-layout, index.json, blobs) from Debian's
 * busybox-static, with /bin/<applet> symlinks for every applet. No registry needed:
 * `ctr -n k8s.io images import` takes the archive as is. Returns the archive's path.
 */
export async function buildBusyboxImage(opts: BusyboxImageOptions): Promise<string> {
  if (!existsSync(BUSYBOX))
    throw new Error(`${BUSYBOX} is missing: install busybox-static (scripts/host-packages.sh)`);
  const work = await mkdtemp(join(tmpdir(), 'skiff-image-'));
  try {
    const rootfs = join(work, 'rootfs');
    for (const d of ['bin', 'etc', 'tmp', 'proc', 'sys', 'dev', 'root', 'var/log'])
      await mkdir(join(rootfs, d), { recursive: true });
    await chmod(join(rootfs, 'tmp'), 0o1777);
    await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
    await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
    const { stdout } = await run(BUSYBOX, ['--list']);
    for (const applet of stdout.split('\n').map((s) => s.trim())) {
      if (!applet || applet === 'busybox' || applet.includes('/')) continue;
      await symlink('busybox', join(rootfs, 'bin', applet));
    }
    await writeFile(
      join(rootfs, 'etc', 'passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n',
    );
    await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\nnogroup:x:65534:\n');

    const layerTar = join(work, 'layer.tar');
    await run('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      rootfs,
      '-cf',
      layerTar,
      '.',
    ]);
    const layer = await readFile(layerTar);
    const layerDigest = sha256(layer);

    const config = Buffer.from(
      JSON.stringify({
        architecture: goArch(),
        os: 'linux',
        config: {
          Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          ...(opts.entrypoint ? { Entrypoint: opts.entrypoint } : {}),
          Cmd: opts.cmd ?? (opts.entrypoint ? [] : ['sh']),
          WorkingDir: '/',
        },
        rootfs: { type: 'layers', diff_ids: [`sha256:${layerDigest}`] },
        history: [{ created_by: 'skiff busybox image from busybox-static' }],
      }),
    );
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: {
          mediaType: 'application/vnd.oci.image.config.v1+json',
          digest: `sha256:${sha256(config)}`,
          size: config.length,
        },
        layers: [
          {
            mediaType: 'application/vnd.oci.image.layer.v1.tar',
            digest: `sha256:${layerDigest}`,
            size: layer.length,
          },
        ],
      }),
    );
    const tag = opts.name.slice(opts.name.lastIndexOf(':') + 1);
    const index = {
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          digest: `sha256:${sha256(manifest)}`,
          size: manifest.length,
          platform: { architecture: goArch(), os: 'linux' },
          annotations: { 'io.containerd.image.name': opts.name, 'org.opencontainers.image.ref.name': tag },
        },
      ],
    };

    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    await copyFile(layerTar, join(blobs, layerDigest));
    await writeFile(join(blobs, sha256(config)), config);
    await writeFile(join(blobs, sha256(manifest)), manifest);
    await writeFile(join(layout, 'index.json'), JSON.stringify(index));
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));

    const outDir = opts.outDir ?? (await mkdtemp(join(tmpdir(), 'skiff-image-out-')));
    const safe = opts.name.replace(/[^a-zA-Z0-9.-]+/g, '_');
    const archive = join(outDir, `${safe}.oci.tar`);
    await run('tar', [
      '--sort=name',
      '--mtime=@0',
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '-C',
      layout,
      '-cf',
      archive,
      '.',
    ]);
    return archive;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}
