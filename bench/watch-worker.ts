/**
 * A share of the bench's watchers in its own process (forked by bench/api.ts), so the client
 * side of 1,000 streams is spread over several event loops and is not what the bench measures.
 *
 * `h1`: each watcher is a bare TLS socket speaking HTTP/1.1 with a minimal chunked decoder: no
 * HTTP client library. `h2`: the process opens ONE HTTP/2 connection and runs its watchers as
 * streams over it, as client-go's informers in one process share a connection. Either way no
 * JSON parsing per event, only a scan for the `"sent":"<ns>"` marker the bench writes into the
 * object. Receipt is stamped when the event's line is complete, on the monotonic clock every
 * process of the machine shares (process.hrtime), as the sender does.
 */
import { type ClientHttp2Session, type ClientHttp2Stream, connect as connectHttp2 } from 'node:http2';
import { connect, type TLSSocket } from 'node:tls';

export interface WatchWorkerJob {
  host: string;
  port: number;
  path: string;
  tls: { ca: string; cert: string; key: string };
  count: number;
  protocol: 'h1' | 'h2';
}

export type WorkerMessage =
  | { type: 'ready'; opened: number; failed: string[] }
  /** receipts: flat pairs of (sent, received) shared-clock ms, one per event and watcher. */
  | { type: 'done'; receipts: number[]; cpuMs: number; ended: number };

/** Monotonic milliseconds, comparable across processes of one machine. */
export function sharedClockMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

const MARKER = '"sent":"';

/** One watch stream: headers, then chunked body decoded into lines. */
class WatchStream {
  private head = '';
  private inBody = false;
  private pending: Buffer = Buffer.alloc(0);
  private readonly lines: LineSplitter;
  ended = false;

  constructor(
    readonly socket: TLSSocket,
    private readonly onHeaders: (status: number) => void,
    onLine: (line: string, at: number) => void,
  ) {
    this.lines = new LineSplitter(onLine);
    socket.on('data', (d: Buffer) => this.data(d));
    socket.on('close', () => {
      this.ended = true;
    });
  }

  private data(d: Buffer): void {
    const at = sharedClockMs();
    let buf = d;
    if (!this.inBody) {
      this.head += buf.toString('latin1');
      const end = this.head.indexOf('\r\n\r\n');
      if (end < 0) return;
      const status = Number(this.head.slice(9, 12));
      buf = Buffer.from(this.head.slice(end + 4), 'latin1');
      this.inBody = true;
      this.onHeaders(status);
    }
    this.pending = this.pending.length > 0 ? Buffer.concat([this.pending, buf]) : buf;
    // Chunks: <hex size>\r\n<data>\r\n, repeated.
    for (;;) {
      const eol = this.pending.indexOf('\r\n');
      if (eol < 0) return;
      const size = Number.parseInt(this.pending.subarray(0, eol).toString('latin1'), 16);
      if (size === 0) {
        this.socket.end();
        return;
      }
      if (this.pending.length < eol + 2 + size + 2) return;
      this.lines.push(this.pending.subarray(eol + 2, eol + 2 + size).toString('utf8'), at);
      this.pending = this.pending.subarray(eol + 2 + size + 2);
    }
  }
}

/** Splits a stream's body into lines; receipt is the time of the data that completed the line. */
class LineSplitter {
  private line = '';

  constructor(private readonly onLine: (line: string, at: number) => void) {}

  push(s: string, at: number): void {
    this.line += s;
    let nl = this.line.indexOf('\n');
    while (nl >= 0) {
      this.onLine(this.line.slice(0, nl), at);
      this.line = this.line.slice(nl + 1);
      nl = this.line.indexOf('\n');
    }
  }
}

/** The shared part of a worker: receipts, the ready/mark/stop protocol with the bench. */
interface WorkerState {
  receipts: number[];
  failed: string[];
  onLine: (line: string, at: number) => void;
  settle: () => void;
}

function workerState(job: WatchWorkerJob, opened: () => number): WorkerState {
  const receipts: number[] = [];
  const failed: string[] = [];
  let settled = 0;
  return {
    receipts,
    failed,
    onLine: (line, at) => {
      const i = line.indexOf(MARKER);
      if (i < 0) return;
      const sent = Number(line.slice(i + MARKER.length, line.indexOf('"', i + MARKER.length)));
      if (sent > 0) receipts.push(sent, at);
    },
    settle: () => {
      settled++;
      if (settled === job.count) process.send?.({ type: 'ready', opened: opened(), failed });
    },
  };
}

function onControl(state: WorkerState, ended: () => number, close: () => void): void {
  let cpuStart = process.cpuUsage();
  process.on('message', (msg: { type: string }) => {
    if (msg.type === 'mark') {
      // Client CPU is counted from here: decoding the events, not the TLS handshakes.
      state.receipts.length = 0;
      cpuStart = process.cpuUsage();
      return;
    }
    if (msg.type !== 'stop') return;
    const n = ended();
    close();
    const cpu = process.cpuUsage(cpuStart);
    process.send?.(
      { type: 'done', receipts: state.receipts, cpuMs: (cpu.user + cpu.system) / 1000, ended: n },
      () => process.exit(0),
    );
  });
}

/** All of this process's watches as streams of one HTTP/2 connection. */
function runHttp2(job: WatchWorkerJob): void {
  const streams: ClientHttp2Stream[] = [];
  const state = workerState(job, () => streams.length);
  let ended = 0;
  const session: ClientHttp2Session = connectHttp2(`https://${job.host}:${job.port}`, {
    ca: job.tls.ca,
    cert: job.tls.cert,
    key: job.tls.key,
    servername: 'localhost',
  });
  session.once('connect', (_session, socket) => socket.setNoDelay(true));
  // A session error also errors every open stream, which settles it below.
  session.on('error', () => {});
  for (let i = 0; i < job.count; i++) {
    const stream = session.request({
      ':method': 'GET',
      ':path': job.path,
      accept: 'application/json',
      'user-agent': 'skiff-bench',
    });
    const lines = new LineSplitter(state.onLine);
    let counted = false;
    stream.setEncoding('utf8');
    stream.on('response', (headers) => {
      counted = true;
      const status = Number(headers[':status']);
      if (status === 200) {
        streams.push(stream);
        stream.once('close', () => {
          ended++;
        });
      } else state.failed.push(`HTTP ${status}`);
      state.settle();
    });
    stream.on('data', (d: string) => lines.push(d, sharedClockMs()));
    stream.on('error', (e) => {
      if (counted) return;
      counted = true;
      state.failed.push(e.message);
      state.settle();
    });
  }
  onControl(
    state,
    () => ended,
    () => session.destroy(),
  );
}

function run(job: WatchWorkerJob): void {
  if (job.protocol === 'h2') {
    runHttp2(job);
    return;
  }
  const streams: WatchStream[] = [];
  const state = workerState(job, () => streams.length);
  const { failed, settle } = state;
  for (let i = 0; i < job.count; i++) {
    const socket = connect({
      host: job.host,
      port: job.port,
      ca: job.tls.ca,
      cert: job.tls.cert,
      key: job.tls.key,
      servername: 'localhost',
      ALPNProtocols: ['http/1.1'],
    });
    socket.setNoDelay(true);
    let counted = false;
    socket.once('error', (e) => {
      if (!counted) {
        counted = true;
        failed.push(e.message);
        settle();
      }
    });
    socket.once('secureConnect', () => {
      socket.write(
        `GET ${job.path} HTTP/1.1\r\nHost: ${job.host}:${job.port}\r\nAccept: application/json\r\nUser-Agent: skiff-bench\r\n\r\n`,
      );
    });
    const stream = new WatchStream(
      socket,
      (status) => {
        if (counted) return;
        counted = true;
        if (status === 200) streams.push(stream);
        else failed.push(`HTTP ${status}`);
        settle();
      },
      state.onLine,
    );
  }
  onControl(
    state,
    () => streams.filter((s) => s.ended).length,
    () => {
      for (const s of streams) s.socket.destroy();
    },
  );
}

if (process.send) {
  process.once('message', (job: WatchWorkerJob) => run(job));
}
