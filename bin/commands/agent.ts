import { Command } from 'commander';
import { rootLogger } from '../logger.js';
import { addKubeletOnlyOptions, type KubeletFlags, runKubelet } from './kubelet.js';
import { addProxyOptions, type ProxyFlags, runProxy } from './proxy.js';

export type AgentFlags = KubeletFlags & ProxyFlags;

/** Runs the kubelet and the proxy until `stop` aborts; either half failing stops both. */
export async function runAgent(flags: AgentFlags, stop: AbortController): Promise<boolean> {
  const log = rootLogger();
  // Either half failing takes the agent down, so a supervisor (systemd) restarts it whole.
  const halves = [runKubelet(flags, stop.signal), runProxy(flags, stop.signal)].map((p) =>
    p.catch((e: unknown) => {
      if (!stop.signal.aborted) log.error({ err: e }, 'agent component failed');
      stop.abort();
      throw e;
    }),
  );
  const results = await Promise.allSettled(halves);
  return results.every((r) => r.status === 'fulfilled');
}

/** The agent's flags at their defaults, overridden by their SKIFF_* variables (for `skiff server --agent`). */
export function defaultAgentFlags(env: NodeJS.ProcessEnv = process.env): AgentFlags {
  const cmd = agentCommand();
  cmd.parseOptions([]);
  for (const o of cmd.options) {
    const value = o.envVar ? env[o.envVar] : undefined;
    if (value === undefined) continue;
    const key = o.attributeName();
    // Boolean flags take their variable as on/off; the rest parse as on the command line.
    if (!o.required && !o.optional)
      cmd.setOptionValue(key, !['0', 'false', ''].includes(value.toLowerCase()));
    else cmd.setOptionValue(key, o.parseArg ? o.parseArg(value, undefined) : value);
  }
  return cmd.opts<AgentFlags>();
}

/** `skiff agent`: the kubelet and the service proxy in one process, as k3s agent. */
export function agentCommand(): Command {
  return addKubeletOnlyOptions(
    addProxyOptions(
      new Command('agent').description('the node agent: kubelet and service proxy in one process'),
    ),
  ).action(async (flags: AgentFlags) => {
    const stop = new AbortController();
    if (flags.cleanup) {
      await runProxy(flags, stop.signal);
      return;
    }
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    if (!(await runAgent(flags, stop))) process.exitCode = 1;
  });
}
