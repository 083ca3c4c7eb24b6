export interface PollDefaults {
  /** How long a call waits when it names no timeout of its own. */
  timeoutMs: number;
  /** Pause between attempts; 200 ms unless given. */
  intervalMs?: number;
  /** Extra text appended to the timeout error (e.g. a server's recent logs). */
  detail?: () => string;
}

/**
 * Polls `fn` until it returns something other than `undefined`, and returns that.
 * A throw counts as "not yet" and is kept to explain a timeout.
 */
export type Eventually = <T>(
  what: string,
  fn: () => Promise<T | undefined>,
  timeoutMs?: number,
) => Promise<T>;

/** An `eventually` with its own default timeout, interval and failure detail. */
export function poller(defaults: PollDefaults): Eventually {
  const intervalMs = defaults.intervalMs ?? 200;
  return async <T>(
    what: string,
    fn: () => Promise<T | undefined>,
    timeoutMs = defaults.timeoutMs,
  ): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
      try {
        const v = await fn();
        if (v !== undefined) return v;
      } catch (e) {
        last = e;
      }
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}${last ? `: ${last}` : ''}${defaults.detail?.() ?? ''}`,
        );
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
}

/** Polls for up to 30 s (unless told otherwise), every 200 ms. */
export const eventually: Eventually = poller({ timeoutMs: 30_000 });

/**
 * Polls `check` every 100 ms for up to `ms` until it returns something other than `undefined`.
 * A throw from `check` ends the wait at once, unless `retryErrors` makes it count as "not yet".
 */
export async function until<T>(
  check: () => Promise<T | undefined>,
  ms = 20_000,
  opts: { retryErrors?: boolean } = {},
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await (opts.retryErrors ? check().catch(() => undefined) : check());
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 100));
  }
}
