import { Command, Option } from 'commander';
import { rootLogger } from '../logger.js';

interface ControllerManagerFlags {
  kubeconfig?: string;
  controllers: string;
  leaderElect: boolean;
  clusterCidr: string;
  kubeApiQps: string;
  kubeApiBurst: string;
}

function nonNegativeInt(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`--${name}: "${value}" is not a non-negative integer`);
  return n;
}

/** `skiff controller-manager`: the controllers as their own process, talking to the API. */
export function controllerManagerCommand(): Command {
  return new Command('controller-manager')
    .description(
      'the controller-manager: replica sets, deployments, endpoints, namespaces, service accounts, GC',
    )
    .addOption(
      new Option(
        '--kubeconfig <file>',
        '(client) kubeconfig to reach the API server (default: $KUBECONFIG, ~/.kube/config)',
      ).env('SKIFF_KUBECONFIG'),
    )
    .addOption(
      new Option(
        '--controllers <list>',
        "(controllers) comma-separated: '*' enables the default ones, 'name' enables one, '-name' disables one",
      )
        .env('SKIFF_CONTROLLERS')
        .default('*'),
    )
    .addOption(
      new Option(
        '--leader-elect [bool]',
        '(leader election) campaign for the kube-system/kube-controller-manager Lease first',
      )
        .env('SKIFF_LEADER_ELECT')
        .default(true)
        .argParser((v: string) => v !== 'false'),
    )
    .addOption(
      new Option('--cluster-cidr <cidr>', '(networking) pod CIDR range, a /24 per node')
        .env('SKIFF_CLUSTER_CIDR')
        .default('10.244.0.0/16'),
    )
    .addOption(
      new Option('--kube-api-qps <n>', '(client) requests per second to the API; 0 = no limit')
        .env('SKIFF_KUBE_API_QPS')
        .default('500'),
    )
    .addOption(
      new Option('--kube-api-burst <n>', '(client) request burst to the API')
        .env('SKIFF_KUBE_API_BURST')
        .default('1000'),
    )
    .action(async (flags: ControllerManagerFlags) => {
      const qps = nonNegativeInt('kube-api-qps', flags.kubeApiQps);
      const burst = nonNegativeInt('kube-api-burst', flags.kubeApiBurst);
      const log = rootLogger();
      const { ApiClient, defaultKubeconfigPath, loadKubeconfig } = await import('../../client/index.js');
      const { startControllerManager } = await import(
        '../../control-plane/controllers/controller-manager.js'
      );
      const api = new ApiClient(loadKubeconfig({ path: flags.kubeconfig ?? defaultKubeconfigPath() }), {
        component: 'controller-manager',
        qps,
        burst,
      });
      const stop = new AbortController();
      process.once('SIGINT', () => stop.abort());
      process.once('SIGTERM', () => stop.abort());
      try {
        await startControllerManager({
          api,
          log,
          signal: stop.signal,
          controllers: flags.controllers.split(','),
          leaderElect: flags.leaderElect,
          clusterCidr: flags.clusterCidr,
        });
      } finally {
        await api.close();
      }
    });
}
