import type { Stats } from 'node:fs';
import { mkdir, open, stat } from 'node:fs/promises';

export type HostPathType =
  | ''
  | 'DirectoryOrCreate'
  | 'Directory'
  | 'FileOrCreate'
  | 'File'
  | 'Socket'
  | 'CharDevice'
  | 'BlockDevice';

/** Thrown when the host path is not what the volume's type asks for, worded as upstream. */
export class HostPathTypeError extends Error {}

/**
 * Checks (and for the *OrCreate types makes) a hostPath volume's path: DirectoryOrCreate makes a
 * 0755 directory, FileOrCreate an empty 0644 file; the other types only check. '' checks nothing.
 */
export async function checkHostPath(path: string, type: string | undefined): Promise<void> {
  const t = (type ?? '') as HostPathType;
  if (t === '') return;
  const st: Stats | undefined = await stat(path).catch(() => undefined);
  const fail = (what: string) => new HostPathTypeError(`hostPath type check failed: ${path} is not ${what}`);
  switch (t) {
    case 'DirectoryOrCreate':
      if (!st) {
        await mkdir(path, { recursive: true, mode: 0o755 });
        return;
      }
      if (!st.isDirectory()) throw fail('a directory');
      return;
    case 'Directory':
      if (!st?.isDirectory()) throw fail('a directory');
      return;
    case 'FileOrCreate':
      if (!st) {
        await (await open(path, 'a', 0o644)).close();
        return;
      }
      if (st.isDirectory()) throw fail('a file');
      return;
    case 'File':
      if (!st || st.isDirectory()) throw fail('a file');
      return;
    case 'Socket':
      if (!st?.isSocket()) throw fail('a socket file');
      return;
    case 'CharDevice':
      if (!st?.isCharacterDevice()) throw fail('a character device');
      return;
    case 'BlockDevice':
      if (!st?.isBlockDevice()) throw fail('a block device');
      return;
    default:
      throw new HostPathTypeError(`hostPath type ${t} is not supported`);
  }
}
