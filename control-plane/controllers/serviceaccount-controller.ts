import type { Namespace, ServiceAccount } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiClient, Store, WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { NAMESPACES, SERVICE_ACCOUNTS } from './resources.js';

type NamespaceObject = Namespace & KubeObject;
type ServiceAccountObject = ServiceAccount & KubeObject;

export const DEFAULT_SERVICE_ACCOUNT = 'default';

/** Keeps a `default` ServiceAccount in every active namespace; the key is the namespace name. */
export class ServiceAccountController {
  constructor(
    private readonly d: {
      namespaces: Store<NamespaceObject>;
      serviceAccounts: Store<ServiceAccountObject>;
      api: ApiClient;
      log: Logger;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const ns = this.d.namespaces.get(key);
    if (!ns || ns.metadata.deletionTimestamp || ns.status?.phase === 'Terminating') return;
    if (this.d.serviceAccounts.get(`${key}/${DEFAULT_SERVICE_ACCOUNT}`)) return;
    try {
      await this.d.api.create<ServiceAccountObject>(
        SERVICE_ACCOUNTS,
        { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: DEFAULT_SERVICE_ACCOUNT } },
        { namespace: key },
      );
      this.d.log.info({ namespace: key }, 'created default service account');
    } catch (e) {
      // Already there (the cache lags) or the namespace began terminating: nothing to do.
      if (isStatusError(e, 'AlreadyExists') || isStatusError(e, 'Forbidden') || isStatusError(e, 'NotFound'))
        return;
      throw e;
    }
  }
}

export const serviceAccountEntry: ControllerEntry = {
  name: 'serviceaccount',
  aliases: ['serviceaccount-controller'],
  start(ctx) {
    const namespaces = ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    const serviceAccounts = ctx.informers.informerFor<ServiceAccountObject>(SERVICE_ACCOUNTS);
    const queue: WorkQueue<string> = ctx.newQueue();
    namespaces.addEventHandler({
      onAdd: (ns) => queue.add(ns.metadata.name ?? ''),
      onUpdate: (_old, ns) => queue.add(ns.metadata.name ?? ''),
    });
    serviceAccounts.addEventHandler({
      onDelete: (sa) => {
        if (sa.metadata.name === DEFAULT_SERVICE_ACCOUNT) queue.add(sa.metadata.namespace ?? '');
      },
    });
    ctx.runWorkers(
      queue,
      new ServiceAccountController({
        namespaces: namespaces.store,
        serviceAccounts: serviceAccounts.store,
        api: ctx.api,
        log: ctx.log,
      }),
    );
  },
};
