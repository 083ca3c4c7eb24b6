import { type FSWatcher, watch } from 'node:fs';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { importImageArchive } from '../../shim/image-import.js';

/** Where the build puts the pause and busybox images (dist/images, beside dist/agent). */
export const BUNDLED_IMAGES_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'images');

const ARCHIVE = /\.tar$/;
const SETTLE_MS = 1000;

export interface ImageLoaderOptions {
  criEndpoint: string;
  log: Logger;
  /** Imported once at start (the bundled images). */
  bundledDir?: string;
  /** Air-gap directory: imported at start and whenever an archive is added or replaced. */
  watchDir: string;
}

/**
 * Like k3s's air-gap images: every image archive (OCI layout or docker-archive, `*.tar`)
 * in the bundled and the watched directory is imported into the runtime at start, and
 * archives added to the watched directory later are imported once they stop changing.
 */
export class ImageLoader {
  private watcher: FSWatcher | undefined;
  private readonly seen = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> = Promise.resolve();

  constructor(private readonly o: ImageLoaderOptions) {}

  /** Imports what is there now, then watches `watchDir`. */
  async start(): Promise<void> {
    if (this.o.bundledDir) await this.importDir(this.o.bundledDir, true);
    await mkdir(this.o.watchDir, { recursive: true });
    await this.importDir(this.o.watchDir, false);
    this.watcher = watch(this.o.watchDir, () => this.schedule());
    this.watcher.on('error', (e) =>
      this.o.log.warn({ err: e, dir: this.o.watchDir }, 'image dir watch failed'),
    );
  }

  stop(): void {
    this.watcher?.close();
    clearTimeout(this.timer);
  }

  /** Resolves once a scan in flight (if any) is done; for tests. */
  settled(): Promise<void> {
    return this.scanning;
  }

  private schedule(): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.scanning = this.scanning.then(() => this.importDir(this.o.watchDir, false));
    }, SETTLE_MS);
  }

  private async importDir(dir: string, bundled: boolean): Promise<void> {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => ARCHIVE.test(n)).sort();
    } catch (e) {
      if (bundled) this.o.log.warn({ err: e, dir }, 'bundled images not found: run the build');
      return;
    }
    for (const name of names) {
      const path = join(dir, name);
      const st = await stat(path).catch(() => undefined);
      if (!st?.isFile()) continue;
      const version = `${st.size}:${st.mtimeMs}`;
      if (this.seen.get(path) === version) continue;
      const started = Date.now();
      try {
        await importImageArchive(this.o.criEndpoint, path);
        this.seen.set(path, version);
        this.o.log.info({ archive: path, ms: Date.now() - started }, 'image archive imported');
      } catch (e) {
        // Marked seen anyway: a broken archive is retried only when it changes.
        this.seen.set(path, version);
        this.o.log.warn({ err: e, archive: path }, 'image archive import failed');
      }
    }
  }
}
