import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULT_SCHEDULER_NAME } from '../../control-plane/scheduler/profile.js';
import { rootLogger } from '../logger.js';

interface SchedulerFlags {
  kubeconfig?: string;
  leaderElect: boolean;
  schedulerConfig?: string;
  schedulerName: string;
  kubeApiQps: string;
  kubeApiBurst: string;
  healthBindAddress: string;
}

const opt = (flags: string, description: string, env: string, def?: string | boolean) => {
  const o = new Option(flags, description).env(env);
  return def === undefined ? o : o.default(def);
};

function positiveInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${value}" is not a non-negative integer`);
  return n;
}

/** `skiff scheduler`: places pending pods on nodes through the API (kube-scheduler's job). */
export function schedulerCommand(): Command {
  return new Command('scheduler')
    .description('the scheduler: assigns pending pods to nodes')
    .addOption(opt('--kubeconfig <file>', '(connection) kubeconfig of the API server', 'SKIFF_KUBECONFIG'))
    .addOption(
      opt(
        '--leader-elect',
        '(ha) take turns on the Lease kube-system/kube-scheduler',
        'SKIFF_LEADER_ELECT',
        false,
      ),
    )
    .addOption(
      opt(
        '--scheduler-config <file>',
        '(scheduling) KubeSchedulerConfiguration subset: profiles[0] schedulerName and plugins, percentageOfNodesToScore',
        'SKIFF_SCHEDULER_CONFIG',
      ),
    )
    .addOption(
      opt(
        '--scheduler-name <name>',
        '(scheduling) spec.schedulerName of the pods this scheduler places',
        'SKIFF_SCHEDULER_NAME',
        DEFAULT_SCHEDULER_NAME,
      ),
    )
    .addOption(
      opt('--kube-api-qps <n>', '(connection) requests per second to the API', 'SKIFF_KUBE_API_QPS', '500'),
    )
    .addOption(
      opt('--kube-api-burst <n>', '(connection) request burst to the API', 'SKIFF_KUBE_API_BURST', '1000'),
    )
    .addOption(
      opt(
        '--health-bind-address <host:port>',
        '(observability) plain HTTP /healthz, /readyz and /metrics; empty disables',
        'SKIFF_SCHEDULER_HEALTH_BIND_ADDRESS',
        '127.0.0.1:10251',
      ),
    )
    .action(async (flags: SchedulerFlags) => {
      const { parseSchedulerConfig } = await import('../../control-plane/scheduler/config.js');
      const { defaultRegistry } = await import('../../control-plane/scheduler/registry.js');
      const { parseHostPort, startHealthServer } = await import(
        '../../control-plane/scheduler/health-server.js'
      );
      const { startScheduler } = await import('../../control-plane/scheduler/run.js');
      const { ApiClient, loadKubeconfig } = await import('../../client/index.js');
      // Configuration errors stop the command before anything connects.
      const profile = flags.schedulerConfig
        ? parseSchedulerConfig(readFileSync(flags.schedulerConfig, 'utf8'), defaultRegistry)
        : undefined;
      const health = flags.healthBindAddress ? parseHostPort(flags.healthBindAddress) : undefined;
      const log = rootLogger();
      const api = new ApiClient(loadKubeconfig({ path: flags.kubeconfig }), {
        component: 'scheduler',
        qps: positiveInt('kube-api-qps', flags.kubeApiQps),
        burst: positiveInt('kube-api-burst', flags.kubeApiBurst),
      });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      const server = health
        ? await startHealthServer(health.host, health.port, () => !stop.signal.aborted)
        : undefined;
      try {
        await startScheduler({
          api,
          log,
          signal: stop.signal,
          leaderElect: flags.leaderElect,
          schedulerName: flags.schedulerName,
          profile,
        });
      } finally {
        await server?.close();
        await api.close();
      }
    });
}
