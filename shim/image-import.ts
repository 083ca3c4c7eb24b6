import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Imports an image archive (OCI layout or docker-archive tar) into containerd's `k8s.io`
 * namespace, where CRI sees it. CRI has no import call, so this goes through containerd's
 * own client, `ctr`; it is the one containerd-specific operation of the shim.
 */
export async function importImageArchive(
  endpoint: string,
  archive: string,
  opts: { ctr?: string; timeoutMs?: number } = {},
): Promise<void> {
  const socket = endpoint.replace(/^unix:\/\//, '');
  try {
    await run(opts.ctr ?? 'ctr', ['-a', socket, '-n', 'k8s.io', 'images', 'import', archive], {
      timeout: opts.timeoutMs ?? 120_000,
    });
  } catch (e) {
    const stderr = (e as { stderr?: string }).stderr?.trim();
    throw new Error(`importing ${archive} failed: ${stderr || String(e)}`);
  }
}
