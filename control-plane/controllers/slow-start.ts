/**
 * Calls `fn` `count` times in batches of 1, 2, 4, ... (starting at `initial`), each batch in
 * parallel; stops after the first batch with a failure. Returns how many calls succeeded and
 * the first error, so the caller can lower its expectations for the calls never made.
 */
export async function slowStartBatch(
  count: number,
  initial: number,
  fn: () => Promise<void>,
): Promise<{ succeeded: number; error?: unknown }> {
  let remaining = count;
  let succeeded = 0;
  for (let batch = Math.min(remaining, initial); batch > 0; batch = Math.min(2 * batch, remaining)) {
    const results = await Promise.allSettled(Array.from({ length: batch }, () => fn()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    succeeded += results.filter((r) => r.status === 'fulfilled').length;
    if (failed) return { succeeded, error: failed.reason };
    remaining -= batch;
  }
  return { succeeded };
}
