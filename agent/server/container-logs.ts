import { type FileHandle, open, readdir, readFile, stat } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { basename, dirname, join } from 'node:path';
import { badRequest, StatusError } from '../../api/errors.js';
import type { Container, CriClient } from '../../shim/index.js';
import {
  type CriLogRecord,
  type LogWriteOptions,
  LogWriter,
  parseCriLogChunk,
  tailRecords,
} from './cri-log.js';
import type { PodRef, RuntimeTargets } from './runtime-targets.js';

/** The query of /containerLogs (PodLogOptions as the kubelet receives them). */
export interface ContainerLogQuery extends LogWriteOptions {
  follow: boolean;
  previous: boolean;
  tailLines?: number;
}

const FOLLOW_POLL_MS = 200;
/** While following, how often the container is asked whether it still runs. */
const FOLLOW_STATE_CHECK_MS = 1000;
const READ_CHUNK = 64 * 1024;

const truthy = (v: string | null) => v === 'true' || v === '1';

function integer(q: URLSearchParams, name: string, min: number): number | undefined {
  const v = q.get(name);
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw badRequest(`${name}: must be an integer >= ${min}, got "${v}"`);
  return n;
}

/** Reads PodLogOptions from a query; `nowMs` turns sinceSeconds into a cut-off time. */
export function parseContainerLogQuery(q: URLSearchParams, nowMs: number): ContainerLogQuery {
  const sinceSeconds = integer(q, 'sinceSeconds', 1);
  const sinceTime = q.get('sinceTime');
  if (sinceSeconds !== undefined && sinceTime) throw badRequest('at most one of sinceTime or sinceSeconds');
  let sinceMs: number | undefined;
  if (sinceSeconds !== undefined) sinceMs = nowMs - sinceSeconds * 1000;
  if (sinceTime) {
    sinceMs = Date.parse(sinceTime);
    if (Number.isNaN(sinceMs)) throw badRequest(`sinceTime: not an RFC3339 time: "${sinceTime}"`);
  }
  return {
    follow: truthy(q.get('follow')),
    previous: truthy(q.get('previous')),
    timestamps: truthy(q.get('timestamps')),
    tailLines: integer(q, 'tailLines', 0),
    limitBytes: integer(q, 'limitBytes', 1),
    sinceMs,
  };
}

/**
 * GET /containerLogs/{namespace}/{pod}/{container}: the CRI log file of the container's current
 * (or, with `previous`, its previous) attempt, as text; with `follow`, kept open and fed until the
 * container stops or the client goes away.
 */
export async function serveContainerLogs(d: {
  cri: CriClient;
  targets: RuntimeTargets;
  ref: PodRef;
  container: string;
  query: ContainerLogQuery;
  res: ServerResponse;
}): Promise<void> {
  const { ref, container, query, res } = d;
  const attempts = await d.targets.attempts(ref, container);
  if (attempts.length === 0) {
    if (!d.targets.uidOf(ref))
      throw new StatusError(404, 'NotFound', `pod "${ref.name}" not found`, { name: ref.name, kind: 'pods' });
    throw badRequest(`container "${container}" in pod "${ref.name}" is waiting to start: ContainerCreating`);
  }
  const { logPath, containerId, running } = await logSource(d.cri, attempts, query.previous, ref, container);
  let file: FileHandle;
  try {
    file = await open(logPath, 'r');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (query.previous)
      throw badRequest(`previous terminated container "${container}" in pod "${ref.name}" not found`);
    throw badRequest(`container "${container}" in pod "${ref.name}": log file ${logPath} is missing`);
  }
  let clientGone = false;
  res.on('close', () => {
    clientGone = true;
  });
  try {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Cache-Control': 'no-cache' });
    res.flushHeaders();
    let pending: Buffer[] = [];
    const writer = new LogWriter(query, (chunk) => pending.push(chunk));
    const flush = async () => {
      if (pending.length === 0 || clientGone) return;
      const ok = res.write(Buffer.concat(pending));
      pending = [];
      if (!ok) await new Promise((r) => res.once('drain', r).once('close', r));
    };
    const emit = async (records: CriLogRecord[]) => {
      for (const r of records) if (!writer.write(r)) break;
      await flush();
    };

    let reader = new AppendReader(file);
    // Rotated files (`<log>.<timestamp>`, oldest first) hold the start of the log.
    const older = await rotatedRecords(logPath);
    const first = parseCriLogChunk((await reader.readAll()).data);
    reader.keep(first.rest);
    const all = older.length > 0 ? [...older, ...first.records] : first.records;
    await emit(query.tailLines === undefined ? all : tailRecords(all, query.tailLines));

    if (query.follow && running) {
      let lastCheck = Date.now();
      let stillRunning = true;
      while (stillRunning && !clientGone && !writer.full) {
        const more = await reader.readAll();
        if (more.grew) {
          const { records, rest } = parseCriLogChunk(more.data);
          reader.keep(rest);
          await emit(records);
          continue;
        }
        await new Promise((r) => setTimeout(r, FOLLOW_POLL_MS));
        if (Date.now() - lastCheck >= FOLLOW_STATE_CHECK_MS) {
          lastCheck = Date.now();
          // Rotated under us: finish the old file, then follow the new one at the same path.
          const current = await stat(logPath).catch(() => undefined);
          if (current && current.ino !== (await file.stat()).ino) {
            const { records } = parseCriLogChunk((await reader.readAll()).data);
            await emit(records);
            await file.close();
            file = await open(logPath, 'r');
            reader = new AppendReader(file);
            continue;
          }
          const st = await d.cri.runtime.containerStatus(containerId).catch(() => undefined);
          stillRunning = st?.status?.state === 'CONTAINER_RUNNING';
        }
      }
      // Whatever the container wrote before it stopped.
      const { records } = parseCriLogChunk((await reader.readAll()).data);
      if (!clientGone) await emit(records);
    }
  } finally {
    await file.close();
    if (!clientGone) res.end();
  }
}

/**
 * Which file to read: the latest attempt's, or the one before. The kubelet keeps the previous
 * attempt's container; should it be gone, its file (`<attempt - 1>.log` beside the current one,
 * as the kubelet names them) still holds the log.
 */
async function logSource(
  cri: CriClient,
  attempts: Container[],
  previous: boolean,
  ref: PodRef,
  container: string,
): Promise<{ logPath: string; containerId: string; running: boolean }> {
  const notStarted = () =>
    badRequest(`container "${container}" in pod "${ref.name}" is waiting to start: ContainerCreating`);
  const noPrevious = () =>
    badRequest(`previous terminated container "${container}" in pod "${ref.name}" not found`);
  const [latest, before] = attempts;
  const target = previous && before ? before : latest;
  const status = (await cri.runtime.containerStatus(target.id)).status;
  if (!status?.logPath) throw previous ? noPrevious() : notStarted();
  if (!previous) {
    if (status.state === 'CONTAINER_CREATED') throw notStarted();
    return { logPath: status.logPath, containerId: target.id, running: status.state === 'CONTAINER_RUNNING' };
  }
  if (before) return { logPath: status.logPath, containerId: target.id, running: false };
  const attempt = latest.metadata?.attempt ?? 0;
  if (attempt === 0) throw noPrevious();
  return {
    logPath: join(dirname(status.logPath), `${attempt - 1}.log`),
    containerId: target.id,
    running: false,
  };
}

/** Reads what was appended to a file since the last read; `keep` holds an unfinished line back. */
/** Records of the rotated files of `logPath`, oldest first. */
async function rotatedRecords(logPath: string): Promise<CriLogRecord[]> {
  const prefix = `${basename(logPath)}.`;
  const names = (await readdir(dirname(logPath)).catch(() => [] as string[]))
    .filter((n) => n.startsWith(prefix) && !n.endsWith('.gz'))
    .sort();
  const out: CriLogRecord[] = [];
  for (const n of names) {
    const data = await readFile(join(dirname(logPath), n)).catch(() => undefined);
    if (data) out.push(...parseCriLogChunk(data).records);
  }
  return out;
}

class AppendReader {
  private offset = 0;
  private carry: Buffer = Buffer.alloc(0);

  constructor(private readonly file: FileHandle) {}

  keep(rest: Buffer): void {
    this.carry = Buffer.from(rest);
  }

  /** The held-back bytes plus everything appended since; `grew` says whether anything was. */
  async readAll(): Promise<{ data: Buffer; grew: boolean }> {
    const start = this.offset;
    const chunks: Buffer[] = [this.carry];
    this.carry = Buffer.alloc(0);
    for (;;) {
      const buf = Buffer.alloc(READ_CHUNK);
      const { bytesRead } = await this.file.read(buf, 0, READ_CHUNK, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      chunks.push(buf.subarray(0, bytesRead));
    }
    const data = Buffer.concat(chunks);
    if (this.offset === start) this.carry = data;
    return { data, grew: this.offset > start };
  }
}
