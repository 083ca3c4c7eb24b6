import type { EnvVar, ExecAction } from 'kubernetes-types/core/v1.js';
import { type CriClient, CriError } from '../../shim/index.js';
import { MAX_PROBE_OUTPUT, ProbeError, type ProbeOutcome, type ProbeTarget } from './probe-outcome.js';

/** `$(NAME)` becomes the container's literal env value, `$$` a `$`; unknown names stay as written. */
export function expandCommand(command: string[], env: EnvVar[] | undefined): string[] {
  const values = new Map((env ?? []).map((e) => [e.name, e.value ?? '']));
  return command.map((arg) =>
    arg.replace(/\$(\$|\(([^)]*)\))/g, (whole, inner: string, name: string | undefined) => {
      if (inner === '$') return '$';
      return name !== undefined && values.has(name) ? (values.get(name) as string) : whole;
    }),
  );
}

/** Runs the command in the container through CRI ExecSync; exit code 0 is a success. */
export async function execProbe(
  cri: CriClient,
  action: ExecAction,
  target: ProbeTarget,
  timeoutMs: number,
): Promise<ProbeOutcome> {
  const cmd = expandCommand(action.command ?? [], target.container.env);
  try {
    const res = await cri.runtime.execSync({
      containerId: target.containerId,
      cmd,
      timeout: Math.max(1, Math.ceil(timeoutMs / 1000)),
    });
    const output = Buffer.concat([res.stdout, res.stderr]).subarray(0, MAX_PROBE_OUTPUT).toString('utf8');
    return { result: res.exitCode === 0 ? 'success' : 'failure', output };
  } catch (e) {
    if (e instanceof CriError && e.code === 'SKIFF_CRI_DEADLINE')
      return { result: 'failure', output: `command ${JSON.stringify(cmd.join(' '))} timed out` };
    throw new ProbeError(`exec probe: ${e instanceof CriError ? e.runtimeMessage : String(e)}`, { cause: e });
  }
}
