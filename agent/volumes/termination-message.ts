import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Container } from 'kubernetes-types/core/v1.js';
import type { ContainerStatus, Mount } from '../../shim/index.js';

export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';
/** Upstream reads at most this much of a termination message file. */
export const MAX_TERMINATION_MESSAGE_BYTES = 4096;
/** FallbackToLogsOnError takes the last lines of the log, this many at most. */
const FALLBACK_LOG_LINES = 80;
const FALLBACK_LOG_BYTES = 2048;

export function terminationMessagePath(spec: Container): string {
  return spec.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH;
}

/**
 * A fresh, empty, world-writable file under `<podDir>/containers/<name>/` for one attempt of the
 * container, mounted at its terminationMessagePath.
 */
export async function terminationMessageMount(podDir: string, spec: Container): Promise<Mount> {
  const dir = join(podDir, 'containers', spec.name);
  await mkdir(dir, { recursive: true });
  const file = join(dir, randomBytes(4).toString('hex'));
  await writeFile(file, '');
  await chmod(file, 0o666);
  return { containerPath: terminationMessagePath(spec), hostPath: file };
}

async function readHead(path: string, max: number): Promise<string> {
  const f = await open(path, 'r');
  try {
    const buf = Buffer.alloc(max);
    const { bytesRead } = await f.read(buf, 0, max, 0);
    return buf.subarray(0, bytesRead).toString('utf8');
  } finally {
    await f.close();
  }
}

/** The text of a CRI log file's last `lines` lines (timestamps and stream tags removed), at most `maxBytes`. */
export async function criLogTail(logFile: string, lines: number, maxBytes: number): Promise<string> {
  const text = await readFile(logFile, 'utf8').catch(() => '');
  const entries = text.split('\n').filter((l) => l.length > 0);
  let out = '';
  for (const line of entries.slice(-lines)) {
    // <rfc3339nano> <stdout|stderr> <P|F> <content>
    const parts = line.split(' ');
    const tag = parts[2];
    const content = parts.slice(3).join(' ');
    out += tag === 'P' ? content : `${content}\n`;
  }
  return Buffer.byteLength(out) > maxBytes ? Buffer.from(out).subarray(-maxBytes).toString('utf8') : out;
}

/**
 * The termination message of an exited container: its terminationMessagePath file (found among
 * the CRI status mounts), or with FallbackToLogsOnError and a failure exit and no message, the
 * tail of its log (`logFile` = the CRI log path of that attempt).
 */
export async function readTerminationMessage(
  spec: Container,
  status: Pick<ContainerStatus, 'mounts' | 'exitCode'>,
  logFile?: string,
): Promise<string> {
  const path = terminationMessagePath(spec);
  const mount = status.mounts?.find((m) => m.containerPath === path);
  let message = '';
  if (mount?.hostPath)
    message = await readHead(mount.hostPath, MAX_TERMINATION_MESSAGE_BYTES).catch(() => '');
  if (
    !message &&
    spec.terminationMessagePolicy === 'FallbackToLogsOnError' &&
    status.exitCode !== 0 &&
    logFile
  )
    message = await criLogTail(logFile, FALLBACK_LOG_LINES, FALLBACK_LOG_BYTES);
  return message;
}
