import { randomBytes } from 'node:crypto';
import { chmod, rename, unlink, writeFile } from 'node:fs/promises';

/**
 * Writes `data` to a temporary file next to `path` with the given mode, flushes it and renames it
 * into place, so readers see either the old content or the new, never a partial file.
 */
export async function writeFileAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(tmp, data, { mode, flush: true });
    // writeFile's mode is filtered by the umask; the caller's mode is what must hold.
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await unlink(tmp).catch(() => {});
    throw e;
  }
}
