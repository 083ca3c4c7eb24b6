import type { Logger } from 'pino';
import type { ApiObject, KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';
import { type ApiClient, type Clock, Informer, realClock } from '../../client/index.js';

/** Every shared informer indexes its objects by the uids of their owners. */
export const OWNER_UID_INDEX = 'ownerUid';

function ownerUids(obj: ApiObject): string[] {
  return (obj.metadata?.ownerReferences ?? []).map((r) => r.uid);
}

/**
 * One informer per resource, shared by every controller that asks for it, so that the cluster
 * is listed and watched once whatever the number of controllers.
 */
export class InformerFactory {
  private readonly informers = new Map<string, Informer<KubeObject>>();
  private started: AbortSignal | undefined;

  constructor(
    private readonly api: ApiClient,
    private readonly log: Logger,
    private readonly clock: Clock = realClock,
  ) {}

  /** The shared informer of `res`; created on first request and started with the others. */
  informerFor<T extends KubeObject = KubeObject>(res: ResourceDef): Informer<T> {
    const id = `${res.group}/${res.version}/${res.plural}`;
    let informer = this.informers.get(id);
    if (!informer) {
      informer = new Informer<KubeObject>(this.api, res, {
        indexers: { [OWNER_UID_INDEX]: ownerUids },
        clock: this.clock,
        log: this.log,
      });
      this.informers.set(id, informer);
      if (this.started) void informer.start(this.started);
    }
    return informer as unknown as Informer<T>;
  }

  /** Starts every informer asked for so far (later ones start as they are asked for). */
  start(signal: AbortSignal): void {
    if (this.started) return;
    this.started = signal;
    for (const informer of this.informers.values()) void informer.start(signal);
  }

  /** Resolves once every informer has loaded its first list. */
  async waitForSync(signal: AbortSignal): Promise<void> {
    await Promise.all([...this.informers.values()].map((i) => i.waitForSync(signal)));
  }
}
