import type { Pod } from 'kubernetes-types/core/v1.js';
import { pino } from 'pino';
import { isStatusError } from '../../../api/errors.js';
import type { KubeObject } from '../../../api/object.js';
import { RESOURCES } from '../../../api/resources.js';
import { ApiClient, Informer, loadKubeconfig } from '../../../client/index.js';
import {
  CONTROLLERS,
  startControllerManager,
} from '../../../control-plane/controllers/controller-manager.js';
import { jobEntry } from '../../../control-plane/controllers/job-controller.js';
import { nodeLifecycleEntry } from '../../../control-plane/controllers/node-lifecycle-controller.js';
import { startScheduler } from '../../../control-plane/scheduler/run.js';
import { startSkiffServer, type TestServer } from '../../support/skiff-server.js';

export const res = (plural: string, group = '') => {
  const def = RESOURCES.find((r) => r.plural === plural && r.group === group);
  if (!def) throw new Error(`no resource ${plural}`);
  return def;
};

export type PodObject = Pod & KubeObject;

export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  ms = 20_000,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Plays the kubelet for pods bound to nodes: marks them Running with an IP (and Ready when
 * `ready(pod)` says so) and confirms graceful deletions at once.
 */
export class FakeKubelet {
  private readonly informer: Informer<PodObject>;
  private readonly stop = new AbortController();
  private nextIp = 1;
  private readonly ips = new Map<string, string>();
  ready: (pod: PodObject) => boolean = () => true;
  /** What each pod does once running: keep running, or finish with exit code 0 / 1. */
  outcome: (pod: PodObject) => 'run' | 'succeed' | 'fail' = () => 'run';

  constructor(private readonly api: ApiClient) {
    this.informer = new Informer<PodObject>(api, res('pods'));
    this.informer.addEventHandler({ onAdd: (p) => this.visit(p), onUpdate: (_o, p) => this.visit(p) });
  }

  async start(): Promise<void> {
    void this.informer.start(this.stop.signal);
    await this.informer.waitForSync();
  }

  close(): void {
    this.stop.abort();
  }

  /** Re-checks every pod (after `ready` changed). */
  resync(): void {
    for (const p of this.informer.store.list()) this.visit(p);
  }

  private visit(pod: PodObject): void {
    void this.handle(pod).catch(() => {});
  }

  private finish(pod: PodObject, ip: string, exitCode: number): Promise<void> {
    return finishPod(this.api, pod, ip, exitCode);
  }

  private async handle(pod: PodObject): Promise<void> {
    if (!pod.spec?.nodeName) return;
    const ns = pod.metadata.namespace;
    if (pod.metadata.deletionTimestamp) {
      await this.api
        .delete(res('pods'), pod.metadata.name ?? '', { namespace: ns, gracePeriodSeconds: 0 })
        .catch(() => {});
      return;
    }
    if (pod.status?.phase === 'Succeeded' || pod.status?.phase === 'Failed') return;
    const uid = pod.metadata.uid ?? '';
    let ip = this.ips.get(uid);
    if (!ip) {
      ip = `10.244.${Math.floor(this.nextIp / 250)}.${(this.nextIp % 250) + 2}`;
      this.nextIp++;
      this.ips.set(uid, ip);
    }
    const outcome = this.outcome(pod);
    if (outcome !== 'run') {
      await this.finish(pod, ip, outcome === 'succeed' ? 0 : 1);
      return;
    }
    const ready = this.ready(pod);
    const current = pod.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
    if (pod.status?.phase === 'Running' && pod.status.podIP === ip && current === ready) return;
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const copy = {
      ...structuredClone(pod),
      status: {
        ...(pod.status ?? {}),
        phase: 'Running',
        podIP: ip,
        podIPs: [{ ip }],
        hostIP: '192.168.0.10',
        startTime: pod.status?.startTime ?? now,
        conditions: [
          { type: 'PodScheduled', status: 'True', lastTransitionTime: now },
          { type: 'Initialized', status: 'True', lastTransitionTime: now },
          { type: 'ContainersReady', status: ready ? 'True' : 'False', lastTransitionTime: now },
          { type: 'Ready', status: ready ? 'True' : 'False', lastTransitionTime: now },
        ],
      },
    } as PodObject;
    try {
      await this.api.updateStatus(res('pods'), copy);
    } catch (e) {
      if (!isStatusError(e, 'Conflict') && !isStatusError(e, 'NotFound')) throw e;
    }
  }
}

async function finishPod(api: ApiClient, pod: PodObject, ip: string, exitCode: number): Promise<void> {
  const phase = exitCode === 0 ? 'Succeeded' : 'Failed';
  if (pod.status?.phase === phase) return;
  const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const copy = {
    ...structuredClone(pod),
    status: {
      phase,
      podIP: ip,
      podIPs: [{ ip }],
      startTime: pod.status?.startTime ?? now,
      conditions: [{ type: 'Ready', status: 'False', lastTransitionTime: now }],
      containerStatuses: [
        {
          name: 'app',
          image: 'busybox',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: {
            terminated: {
              exitCode,
              reason: exitCode === 0 ? 'Completed' : 'Error',
              startedAt: now,
              finishedAt: now,
            },
          },
        },
      ],
    },
  } as PodObject;
  try {
    await api.updateStatus(res('pods'), copy);
  } catch (e) {
    if (!isStatusError(e, 'Conflict') && !isStatusError(e, 'NotFound')) throw e;
  }
}

export interface Cluster {
  server: TestServer;
  api: ApiClient;
  kubelet: FakeKubelet;
  /** Stops the in-process controller-manager and starts a fresh one (empty caches, no memory). */
  restartControllers(): Promise<void>;
  /**
   * Runs the default scheduler in this process until the returned function is called (or the
   * cluster stops). Off by default: most controller tests expect their pods to stay unbound.
   */
  startScheduler(): () => Promise<void>;
  stop(): Promise<void>;
}

/** A skiff server with the controller-manager running in this process and a fake kubelet. */
export async function startCluster(controllers: string[] = ['*']): Promise<Cluster> {
  const server = await startSkiffServer();
  const api = new ApiClient(loadKubeconfig({ path: server.kubeconfig }), {
    component: 'controllers-test',
    qps: 0,
  });
  // The node the tests bind pods to exists, so that pod GC leaves their pods alone.
  await api.create(res('nodes'), { apiVersion: 'v1', kind: 'Node', metadata: { name: 'node-1' } });
  const log = pino({ level: process.env.SKIFF_TEST_LOG ?? 'silent' });
  let abort = new AbortController();
  const start = (): Promise<void> => {
    // Job back-off shortened so that failure tests take moments, not minutes.
    // and node heartbeats judged within seconds.
    const entries = CONTROLLERS.map((e) =>
      e.name === 'job'
        ? jobEntry({ backoffBaseMs: 200 })
        : e.name === 'nodelifecycle'
          ? nodeLifecycleEntry({ gracePeriodMs: 3000, monitorPeriodMs: 500 })
          : e,
    );
    const run = startControllerManager({ api, log, signal: abort.signal, controllers, entries });
    run.catch((e) => {
      process.stderr.write(`controller-manager failed: ${String(e)}\n`);
    });
    return run;
  };
  let running = start();
  const kubelet = new FakeKubelet(api);
  await kubelet.start();
  const schedulers = new Set<() => Promise<void>>();
  return {
    server,
    api,
    kubelet,
    async restartControllers() {
      abort.abort();
      await running.catch(() => {});
      abort = new AbortController();
      running = start();
    },
    startScheduler() {
      const stop = new AbortController();
      const run = startScheduler({ api, log, signal: stop.signal }).catch((e) => {
        if (!stop.signal.aborted) process.stderr.write(`scheduler failed: ${String(e)}\n`);
      });
      const halt = async (): Promise<void> => {
        schedulers.delete(halt);
        stop.abort();
        await run;
      };
      schedulers.add(halt);
      return halt;
    },
    async stop() {
      for (const halt of [...schedulers]) await halt();
      kubelet.close();
      abort.abort();
      await running.catch(() => {});
      await api.close();
      await server.stop();
    },
  };
}

export function podTemplate(labels: Record<string, string>, nodeName?: string) {
  return {
    metadata: { labels },
    spec: {
      ...(nodeName ? { nodeName } : {}),
      terminationGracePeriodSeconds: 30,
      containers: [{ name: 'app', image: 'busybox', ports: [{ name: 'http', containerPort: 8080 }] }],
    },
  };
}

export async function podsOf(api: ApiClient, namespace: string, selector: string): Promise<PodObject[]> {
  const list = await api.list<PodObject>(res('pods'), { namespace, labelSelector: selector });
  return list.items;
}
