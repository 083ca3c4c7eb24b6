import { type Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { Counter, Histogram, register } from 'prom-client';
import { DEFAULT_CRI_ENDPOINT } from './endpoint.js';
import { CriError, toCriError } from './errors.js';
import { criServices } from './proto.js';

export { DEFAULT_CRI_ENDPOINT };

export interface CriConnectionOptions {
  /** `unix:///path/to/sock` (a bare absolute path is taken as a unix socket). */
  endpoint?: string;
  /** Deadline of every call unless the call sets its own. Default 10 s. */
  timeoutMs?: number;
  /** Deadline of PullImage. Default 15 min. */
  pullTimeoutMs?: number;
  /**
   * Queue calls while the runtime is unreachable (up to their deadline) instead of
   * failing them at once with SKIFF_CRI_UNAVAILABLE. Default false.
   */
  waitForReady?: boolean;
}

export interface CriCallOptions {
  timeoutMs?: number;
  signal?: AbortSignal;
  waitForReady?: boolean;
}

/** `unix:///run/x.sock` for both `unix:///run/x.sock` and `/run/x.sock`. */
export function normalizeEndpoint(endpoint: string): string {
  if (endpoint.startsWith('/')) return `unix://${endpoint}`;
  if (!endpoint.startsWith('unix:'))
    throw new Error(`unsupported CRI endpoint ${endpoint}: only unix sockets`);
  return endpoint;
}

function metric<T>(name: string, make: () => T): T {
  return (register.getSingleMetric(name) as T | undefined) ?? make();
}
const durations = metric(
  'skiff_cri_request_duration_seconds',
  () =>
    new Histogram({
      name: 'skiff_cri_request_duration_seconds',
      help: 'Duration of CRI calls by method',
      labelNames: ['method'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 120],
    }),
);
const failures = metric(
  'skiff_cri_request_errors_total',
  () =>
    new Counter({
      name: 'skiff_cri_request_errors_total',
      help: 'Failed CRI calls by method and error kind',
      labelNames: ['method', 'code'],
    }),
);

type UnaryFn = (
  req: unknown,
  md: Metadata,
  opts: { deadline: Date },
  cb: (err: ServiceError | null, res: unknown) => void,
) => { cancel(): void };

/**
 * One gRPC channel to a CRI runtime, shared by the RuntimeService and ImageService
 * clients. grpc-js re-dials the socket by itself after the runtime restarts; the short
 * reconnect back-off keeps the gap after a containerd restart small.
 */
export class CriConnection {
  readonly endpoint: string;
  readonly timeoutMs: number;
  readonly pullTimeoutMs: number;
  private readonly waitForReadyDefault: boolean;
  private readonly runtime: Client;
  private readonly image: Client;

  constructor(opts: CriConnectionOptions = {}) {
    this.endpoint = normalizeEndpoint(opts.endpoint ?? DEFAULT_CRI_ENDPOINT);
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.pullTimeoutMs = opts.pullTimeoutMs ?? 15 * 60_000;
    this.waitForReadyDefault = opts.waitForReady ?? false;
    const { RuntimeService, ImageService } = criServices();
    const channelOptions = {
      'grpc.initial_reconnect_backoff_ms': 100,
      'grpc.max_reconnect_backoff_ms': 1000,
      // ExecSync output is capped at 16 MiB per stream by the runtime.
      'grpc.max_receive_message_length': 64 * 1024 * 1024,
    };
    this.runtime = new RuntimeService(this.endpoint, credentials.createInsecure(), channelOptions);
    this.image = new ImageService(this.endpoint, credentials.createInsecure(), {
      ...channelOptions,
      channelOverride: this.runtime.getChannel(),
    });
  }

  /** Resolves once the socket is connected; SKIFF_CRI_UNAVAILABLE after timeoutMs. */
  async waitForReady(timeoutMs = this.timeoutMs): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.runtime.waitForReady(new Date(Date.now() + timeoutMs), (err) => {
        if (!err) return resolve();
        reject(
          new CriError('SKIFF_CRI_UNAVAILABLE', 'connect', `${this.endpoint} not ready: ${err.message}`, {
            cause: err,
          }),
        );
      });
    });
  }

  close(): void {
    this.image.close();
    this.runtime.close();
  }

  /** One unary call with a deadline, turned into a CriError on failure. */
  call<Res>(
    service: 'RuntimeService' | 'ImageService',
    method: string,
    req: object,
    opts: CriCallOptions = {},
    defaultTimeoutMs = this.timeoutMs,
  ): Promise<Res> {
    const name = `${service}/${method}`;
    const client = service === 'RuntimeService' ? this.runtime : this.image;
    const fn = (client as unknown as Record<string, UnaryFn>)[method];
    if (typeof fn !== 'function') throw new Error(`no CRI method ${name}`);
    const md = new Metadata({ waitForReady: opts.waitForReady ?? this.waitForReadyDefault });
    const deadline = new Date(Date.now() + (opts.timeoutMs ?? defaultTimeoutMs));
    const started = performance.now();
    return new Promise<Res>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(new CriError('SKIFF_CRI_CANCELED', name, 'aborted before the call'));
        return;
      }
      const onAbort = () => call.cancel();
      const call = fn.call(client, req, md, { deadline }, (err, res) => {
        opts.signal?.removeEventListener('abort', onAbort);
        durations.observe({ method }, (performance.now() - started) / 1000);
        if (err) {
          const e = toCriError(name, err);
          failures.inc({ method, code: e.code });
          reject(e);
        } else resolve(res as Res);
      });
      opts.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
