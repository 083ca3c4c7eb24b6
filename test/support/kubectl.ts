import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const KUBECTL = process.env.KUBECTL ?? '/usr/bin/kubectl';

export interface KubectlResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl against a kubeconfig with a fresh discovery cache. */
export function kubectlFor(kubeconfig: string, opts: { netns?: string } = {}) {
  if (!existsSync(KUBECTL))
    throw new Error(`kubectl is missing at ${KUBECTL}: the acceptance suite drives the real kubectl`);
  const cacheDir = mkdtempSync(join(tmpdir(), 'skiff-kubectl-cache-'));
  return (args: string[], stdin?: string, timeoutMs = 30_000): Promise<KubectlResult> =>
    new Promise((resolve, reject) => {
      const argv = ['--kubeconfig', kubeconfig, '--cache-dir', cacheDir, ...args];
      const child = opts.netns
        ? spawn('nsenter', [`--net=/run/netns/${opts.netns}`, KUBECTL, ...argv], {
            stdio: ['pipe', 'pipe', 'pipe'],
          })
        : spawn(KUBECTL, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ code: code ?? -1, stdout, stderr });
      });
      child.stdin.end(stdin ?? '');
    });
}
