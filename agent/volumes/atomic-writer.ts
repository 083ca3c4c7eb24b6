import { randomBytes } from 'node:crypto';
import {
  chmod,
  chown,
  lstat,
  mkdir,
  readdir,
  readFile,
  readlink,
  rename,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';

/** One file of a volume: its bytes and permission bits. */
export interface FileProjection {
  data: Buffer;
  mode: number;
}

/** Relative path inside the volume → file. */
export type Payload = Map<string, FileProjection>;

const DATA_DIR = '..data';
const DATA_DIR_TMP = '..data_tmp';

/** Thrown for a payload path that would leave the volume. */
export class PayloadPathError extends Error {}

/** Cleans and checks a payload path as upstream's atomic writer does. */
export function cleanPayloadPath(p: string): string {
  if (posix.isAbsolute(p)) throw new PayloadPathError(`invalid path: must not be absolute path: ${p}`);
  if (p.split('/').includes('..')) throw new PayloadPathError(`invalid path: must not contain '..': ${p}`);
  if (p.startsWith('..')) throw new PayloadPathError(`invalid path: must not start with '..': ${p}`);
  const clean = posix.normalize(p).replace(/\/+$/, '');
  if (clean === '' || clean === '.') throw new PayloadPathError(`invalid path: must not be empty: ${p}`);
  return clean;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `..2006_01_02_15_04_05.` as upstream names its timestamped directories. */
function stampPrefix(d: Date): string {
  return `..${d.getUTCFullYear()}_${pad(d.getUTCMonth() + 1)}_${pad(d.getUTCDate())}_${pad(d.getUTCHours())}_${pad(d.getUTCMinutes())}_${pad(d.getUTCSeconds())}.`;
}

async function exists(p: string): Promise<boolean> {
  return lstat(p).then(
    () => true,
    () => false,
  );
}

async function listFiles(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(join(root, rel), { withFileTypes: true })) {
    const r = rel ? `${rel}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listFiles(root, r)));
    else out.push(r);
  }
  return out;
}

/** Whether the directory `tsDir` already holds exactly `payload`. */
async function holds(tsDir: string, payload: Payload): Promise<boolean> {
  try {
    const files = await listFiles(tsDir);
    if (files.length !== payload.size) return false;
    for (const f of files) {
      const want = payload.get(f);
      if (!want) return false;
      const st = await stat(join(tsDir, f));
      if ((st.mode & 0o7777) !== want.mode) return false;
      if (!want.data.equals(await readFile(join(tsDir, f)))) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes `dir` hold `payload` the way upstream's kubelet does, so readers never see a half-written
 * volume: the files go into a fresh timestamped directory, the `..data` symlink is pointed at it
 * with a rename, and each top-level name is a symlink into `..data`. Returns false when the
 * volume already held the payload (nothing written).
 */
export async function writeAtomic(
  dir: string,
  input: Payload,
  opts: { now?: Date; fsGroup?: number } = {},
): Promise<boolean> {
  const now = opts.now ?? new Date();
  const payload: Payload = new Map();
  for (const [p, f] of input) payload.set(cleanPayloadPath(p), f);
  await mkdir(dir, { recursive: true });
  const dataLink = join(dir, DATA_DIR);
  const oldTs = await readlink(dataLink).catch(() => undefined);
  const tops = new Set([...payload.keys()].map((p) => p.split('/')[0] ?? p));
  if (oldTs && (await holds(join(dir, oldTs), payload)) && (await visibleLinksOk(dir, tops))) return false;

  const tsName = `${stampPrefix(now)}${randomBytes(6).toString('hex')}`;
  const tsDir = join(dir, tsName);
  await mkdir(tsDir, { mode: 0o755 });
  await chmod(tsDir, 0o755);
  for (const [p, f] of payload) {
    const target = join(tsDir, p);
    await mkdir(dirname(target), { recursive: true, mode: 0o755 });
    await writeFile(target, f.data, { mode: f.mode });
    await chmod(target, f.mode);
  }
  if (opts.fsGroup !== undefined) await groupOwn(tsDir, opts.fsGroup);
  const tmpLink = join(dir, DATA_DIR_TMP);
  await rm(tmpLink, { force: true });
  await symlink(tsName, tmpLink);
  await rename(tmpLink, dataLink);

  for (const top of tops) {
    const link = join(dir, top);
    const want = `${DATA_DIR}/${top}`;
    if ((await readlink(link).catch(() => undefined)) === want) continue;
    await rm(link, { recursive: true, force: true });
    await symlink(want, link);
  }
  for (const name of await readdir(dir)) {
    if (name.startsWith('..') || tops.has(name)) continue;
    await rm(join(dir, name), { recursive: true, force: true });
  }
  if (oldTs && oldTs !== tsName && !oldTs.includes('/'))
    await rm(join(dir, oldTs), { recursive: true, force: true });
  // Timestamped directories left by an interrupted write.
  for (const name of await readdir(dir)) {
    if (name.startsWith('..') && name !== DATA_DIR && name !== tsName && /^\.\.\d{4}_/.test(name))
      await rm(join(dir, name), { recursive: true, force: true });
  }
  return true;
}

/** Gives the fsGroup the written tree, directories setgid, as upstream's volume ownership does. */
async function groupOwn(root: string, gid: number): Promise<void> {
  await chown(root, -1, gid);
  await chmod(root, ((await stat(root)).mode & 0o7777) | 0o2000 | 0o110);
  for (const e of await readdir(root, { withFileTypes: true })) {
    const p = join(root, e.name);
    if (e.isDirectory()) await groupOwn(p, gid);
    else await chown(p, -1, gid);
  }
}

async function visibleLinksOk(dir: string, tops: Set<string>): Promise<boolean> {
  for (const top of tops)
    if ((await readlink(join(dir, top)).catch(() => undefined)) !== `${DATA_DIR}/${top}`) return false;
  for (const name of await readdir(dir)) if (!name.startsWith('..') && !tops.has(name)) return false;
  return exists(join(dir, DATA_DIR));
}
