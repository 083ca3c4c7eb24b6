import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Decodes the octal escapes (`\040` for a space) of /proc/self/mountinfo paths. */
function unescapeMountPath(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_m, o: string) => String.fromCharCode(Number.parseInt(o, 8)));
}

/** Mount points at or under `dir`, deepest first. */
export async function mountsUnder(dir: string): Promise<string[]> {
  const text = await readFile('/proc/self/mountinfo', 'utf8').catch(() => '');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const points = new Set<string>();
  for (const line of text.split('\n')) {
    const field = line.split(' ')[4];
    if (!field) continue;
    const p = unescapeMountPath(field);
    if (p === dir || p.startsWith(prefix)) points.add(p);
  }
  return [...points].sort((a, b) => b.length - a.length);
}

export async function isMountPoint(dir: string): Promise<boolean> {
  return (await mountsUnder(dir)).includes(dir);
}

/** Mounts a tmpfs at `dir` (size in bytes, 0: the kernel's default), once. */
export async function mountTmpfs(dir: string, sizeBytes: number, mode = 0o777): Promise<void> {
  if (await isMountPoint(dir)) return;
  const opts = [`mode=${mode.toString(8)}`, ...(sizeBytes > 0 ? [`size=${sizeBytes}`] : [])].join(',');
  await run('mount', ['-t', 'tmpfs', '-o', opts, 'tmpfs', dir]);
}

/** Unmounts everything mounted at or under `dir`. */
export async function unmountUnder(dir: string): Promise<void> {
  for (const p of await mountsUnder(dir)) await run('umount', [p]);
}
