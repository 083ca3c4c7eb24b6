import { isDeepStrictEqual } from 'node:util';
import type { Namespace, NamespaceCondition } from 'kubernetes-types/core/v1.js';
import type { Logger } from 'pino';
import { compareStrings } from '../../api/compare-strings.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import { RESOURCES, type ResourceDef } from '../../api/resources.js';
import { type ApiClient, type Clock, resourcePath, type Store, type WorkQueue } from '../../client/index.js';
import type { ControllerEntry } from './controller-context.js';
import { NAMESPACES } from './resources.js';

type NamespaceObject = Namespace & KubeObject;

export const KUBERNETES_FINALIZER = 'kubernetes';

/** While content is still going away, look again at least this often. */
const MAX_RECHECK_MS = 10_000;
const MIN_RECHECK_MS = 500;

interface Remaining {
  /** `pods.` style resource names and their counts. */
  counts: Map<string, number>;
  /** Finalizer names and how many objects still carry them. */
  finalizers: Map<string, number>;
  /** Soonest time a graceful deletion falls due, in ms since the epoch. */
  nextDue: number | undefined;
}

/** Every namespaced resource, each storage once (core and events.k8s.io Events share one). */
function namespacedResources(): ResourceDef[] {
  const seen = new Set<string>();
  return RESOURCES.filter((r) => {
    if (!r.namespaced) return false;
    const id = r.plural === 'events' ? 'events' : `${r.group}/${r.plural}`;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function qualified(r: ResourceDef): string {
  return `${r.plural}.${r.group}`;
}

/**
 * Empties namespaces being deleted: deletes every namespaced object in them, waits until they
 * are gone, then removes the `kubernetes` finalizer through /finalize so the apiserver deletes
 * the namespace. Progress and trouble show as the upstream NamespaceDeletion* conditions.
 */
export class NamespaceController {
  private readonly resources = namespacedResources();

  constructor(
    private readonly d: {
      namespaces: Store<NamespaceObject>;
      api: ApiClient;
      queue: WorkQueue<string>;
      clock: Clock;
      log: Logger;
    },
  ) {}

  async sync(key: string): Promise<void> {
    const ns = this.d.namespaces.get(key);
    if (!ns?.metadata.deletionTimestamp) return;
    if (!(ns.spec?.finalizers ?? []).includes(KUBERNETES_FINALIZER)) return;
    const failures: string[] = [];
    for (const res of this.resources) {
      try {
        await this.deleteAll(res, key);
      } catch (e) {
        if (isStatusError(e, 'NotFound')) continue;
        failures.push(`${qualified(res)}: ${(e as Error).message}`);
      }
    }
    let remaining: Remaining;
    try {
      remaining = await this.remaining(key);
    } catch (e) {
      failures.push(`listing content: ${(e as Error).message}`);
      await this.writeConditions(ns, failures, undefined);
      throw e;
    }
    await this.writeConditions(ns, failures, remaining);
    if (failures.length > 0)
      throw new Error(`namespace ${key}: content deletion failed: ${failures.join('; ')}`);
    if (remaining.counts.size > 0) {
      const now = this.d.clock.now();
      const wait = remaining.nextDue === undefined ? 1000 : remaining.nextDue - now;
      this.d.queue.addAfter(key, Math.min(MAX_RECHECK_MS, Math.max(MIN_RECHECK_MS, wait)));
      return;
    }
    await this.finalize(ns);
  }

  private async deleteAll(res: ResourceDef, namespace: string): Promise<void> {
    const options = { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' };
    if (res.verbs.includes('deletecollection')) {
      await this.d.api.request('DELETE', resourcePath(res, { namespace }), { body: options });
      return;
    }
    const list = await this.d.api.list(res, { namespace });
    for (const item of list.items) {
      if (item.metadata.deletionTimestamp) continue;
      try {
        await this.d.api.delete(res, item.metadata.name ?? '', {
          namespace,
          propagationPolicy: 'Background',
        });
      } catch (e) {
        if (!isStatusError(e, 'NotFound')) throw e;
      }
    }
  }

  private async remaining(namespace: string): Promise<Remaining> {
    const out: Remaining = { counts: new Map(), finalizers: new Map(), nextDue: undefined };
    for (const res of this.resources) {
      const list = await this.d.api.list(res, { namespace });
      if (list.items.length === 0) continue;
      out.counts.set(qualified(res), list.items.length);
      for (const item of list.items) {
        for (const f of item.metadata.finalizers ?? [])
          out.finalizers.set(f, (out.finalizers.get(f) ?? 0) + 1);
        const due = item.metadata.deletionTimestamp
          ? Date.parse(item.metadata.deletionTimestamp)
          : Number.NaN;
        if (!Number.isNaN(due) && (out.nextDue === undefined || due < out.nextDue)) out.nextDue = due;
      }
    }
    return out;
  }

  private async finalize(ns: NamespaceObject): Promise<void> {
    const name = ns.metadata.name ?? '';
    const finalizers = (ns.spec?.finalizers ?? []).filter((f) => f !== KUBERNETES_FINALIZER);
    try {
      await this.d.api.request('PUT', `${resourcePath(NAMESPACES, { name })}/finalize`, {
        body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name }, spec: { finalizers } },
      });
      this.d.log.info({ namespace: name }, 'namespace content removed, finalized');
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }

  private async writeConditions(
    ns: NamespaceObject,
    failures: string[],
    remaining: Remaining | undefined,
  ): Promise<void> {
    const now = new Date(this.d.clock.now()).toISOString().replace(/\.\d+Z$/, 'Z');
    const counts = remaining ? [...remaining.counts].sort(([a], [b]) => compareStrings(a, b)) : [];
    const finalizers = remaining ? [...remaining.finalizers].sort(([a], [b]) => compareStrings(a, b)) : [];
    const wanted: Omit<NamespaceCondition, 'lastTransitionTime'>[] = [
      {
        type: 'NamespaceDeletionDiscoveryFailure',
        status: 'False',
        reason: 'ResourcesDiscovered',
        message: 'All resources successfully discovered',
      },
      {
        type: 'NamespaceDeletionGroupVersionParsingFailure',
        status: 'False',
        reason: 'ParsedGroupVersions',
        message: 'All legacy kube types successfully parsed',
      },
      failures.length > 0
        ? {
            type: 'NamespaceDeletionContentFailure',
            status: 'True',
            reason: 'ContentDeletionFailed',
            message: `Failed to delete all resource types, ${failures.length} remaining: ${failures.join(', ')}`,
          }
        : {
            type: 'NamespaceDeletionContentFailure',
            status: 'False',
            reason: 'ContentDeleted',
            message: 'All content successfully deleted, may be waiting on finalization',
          },
      counts.length > 0
        ? {
            type: 'NamespaceContentRemaining',
            status: 'True',
            reason: 'SomeResourcesRemain',
            message: `Some resources are remaining: ${counts.map(([r, n]) => `${r} has ${n} resource instances`).join(', ')}`,
          }
        : {
            type: 'NamespaceContentRemaining',
            status: 'False',
            reason: 'ContentRemoved',
            message: 'All content successfully removed',
          },
      finalizers.length > 0
        ? {
            type: 'NamespaceFinalizersRemaining',
            status: 'True',
            reason: 'SomeFinalizersRemain',
            message: `Some content in the namespace has finalizers remaining: ${finalizers.map(([f, n]) => `${f} in ${n} resource instances`).join(', ')}`,
          }
        : {
            type: 'NamespaceFinalizersRemaining',
            status: 'False',
            reason: 'ContentHasNoFinalizers',
            message: 'All content-preserving finalizers finished',
          },
    ];
    const old = ns.status?.conditions ?? [];
    const conditions: NamespaceCondition[] = wanted.map((c) => {
      const prev = old.find((o) => o.type === c.type);
      const same = prev && prev.status === c.status && prev.reason === c.reason && prev.message === c.message;
      return same
        ? prev
        : { ...c, lastTransitionTime: prev?.status === c.status ? prev.lastTransitionTime : now };
    });
    const others = old.filter((o) => !wanted.some((w) => w.type === o.type));
    const next = [...others, ...conditions];
    if (isDeepStrictEqual(next, old)) return;
    const copy = structuredClone(ns) as NamespaceObject;
    copy.status = { ...(copy.status ?? {}), conditions: next };
    try {
      await this.d.api.updateStatus(NAMESPACES, copy);
    } catch (e) {
      // A newer namespace (or none) is already on its way to the cache: the next sync retries.
      if (!isStatusError(e, 'Conflict') && !isStatusError(e, 'NotFound')) throw e;
    }
  }
}

export const namespaceEntry: ControllerEntry = {
  name: 'namespace',
  aliases: ['namespace-controller'],
  start(ctx) {
    const namespaces = ctx.informers.informerFor<NamespaceObject>(NAMESPACES);
    const queue = ctx.newQueue();
    const enqueue = (ns: NamespaceObject): void => {
      if (ns.metadata.deletionTimestamp) queue.add(ns.metadata.name ?? '');
    };
    namespaces.addEventHandler({ onAdd: enqueue, onUpdate: (_o, n) => enqueue(n) });
    ctx.runWorkers(
      queue,
      new NamespaceController({
        namespaces: namespaces.store,
        api: ctx.api,
        queue,
        clock: ctx.clock,
        log: ctx.log,
      }),
    );
  },
};
