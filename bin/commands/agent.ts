import { Command } from 'commander';
import { rootLogger } from '../logger.js';
import { addKubeletOnlyOptions, type KubeletFlags, runKubelet } from './kubelet.js';
import { addProxyOptions, type ProxyFlags, runProxy } from './proxy.js';

/** `skiff agent`: the kubelet and the service proxy in one process, as k3s agent. */
export function agentCommand(): Command {
  return addKubeletOnlyOptions(
    addProxyOptions(
      new Command('agent').description('the node agent: kubelet and service proxy in one process'),
    ),
  ).action(async (flags: KubeletFlags & ProxyFlags) => {
    const log = rootLogger();
    const stop = new AbortController();
    if (flags.cleanup) {
      await runProxy(flags, stop.signal);
      return;
    }
    process.once('SIGINT', () => stop.abort());
    process.once('SIGTERM', () => stop.abort());
    // Either half failing takes the agent down, so a supervisor (systemd) restarts it whole.
    const halves = [runKubelet(flags, stop.signal), runProxy(flags, stop.signal)].map((p) =>
      p.catch((e: unknown) => {
        if (!stop.signal.aborted) log.error({ err: e }, 'agent component failed');
        stop.abort();
        throw e;
      }),
    );
    const results = await Promise.allSettled(halves);
    if (results.some((r) => r.status === 'rejected')) process.exitCode = 1;
  });
}
