import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import { isStatusError } from '../../api/errors.js';
import type { KubeObject } from '../../api/object.js';
import type { ApiClient, Store } from '../../client/index.js';
import { controllerRefOf, controllerRefTo } from './controller-ref.js';
import type { DaemonSetObject } from './daemonset-controller.js';
import { OWNER_UID_INDEX } from './informer-factory.js';
import { CONTROLLER_REVISIONS } from './resources.js';

export type RevisionObject = ControllerRevision & KubeObject;

export const REVISION_HASH_LABEL = 'controller-revision-hash';

/** What `kubectl rollout history/undo daemonset` reads: the template as a replacing patch. */
function revisionData(ds: DaemonSetObject): unknown {
  return { spec: { template: { ...structuredClone(ds.spec?.template ?? {}), $patch: 'replace' } } };
}

/**
 * Keeps a ControllerRevision per template of a DaemonSet: the current one gets the highest
 * revision number (an old template coming back is renumbered, as upstream), and revisions beyond
 * revisionHistoryLimit that no pod uses any more are deleted.
 */
export async function syncDaemonSetHistory(
  api: ApiClient,
  revisions: Store<RevisionObject>,
  ds: DaemonSetObject,
  hash: string,
  hashesInUse: Set<string>,
): Promise<void> {
  const owned = revisions
    .byIndex(OWNER_UID_INDEX, ds.metadata.uid ?? '')
    .filter((r) => controllerRefOf(r)?.uid === ds.metadata.uid);
  const name = `${ds.metadata.name}-${hash}`;
  const max = Math.max(0, ...owned.map((r) => r.revision ?? 0));
  const current = owned.find((r) => r.metadata.name === name);
  try {
    if (!current) {
      const rev: RevisionObject = {
        apiVersion: 'apps/v1',
        kind: 'ControllerRevision',
        metadata: {
          name,
          namespace: ds.metadata.namespace,
          labels: { ...(ds.spec?.template?.metadata?.labels ?? {}), [REVISION_HASH_LABEL]: hash },
          ownerReferences: [controllerRefTo(ds, 'apps/v1', 'DaemonSet')],
        },
        data: revisionData(ds) as RevisionObject['data'],
        revision: max + 1,
      };
      await api.create(CONTROLLER_REVISIONS, rev, { namespace: ds.metadata.namespace });
    } else if ((current.revision ?? 0) < max) {
      await api.update(CONTROLLER_REVISIONS, {
        ...structuredClone(current),
        revision: max + 1,
      } as RevisionObject);
    }
  } catch (e) {
    // The cache lags behind our own write: the next sync sees it.
    if (!isStatusError(e, 'AlreadyExists') && !isStatusError(e, 'Conflict')) throw e;
  }
  const limit = ds.spec?.revisionHistoryLimit ?? 10;
  const old = owned
    .filter(
      (r) => r.metadata.name !== name && !hashesInUse.has(r.metadata.labels?.[REVISION_HASH_LABEL] ?? ''),
    )
    .sort((a, b) => (a.revision ?? 0) - (b.revision ?? 0));
  for (const r of old.slice(0, Math.max(0, old.length - limit))) {
    try {
      await api.delete(CONTROLLER_REVISIONS, r.metadata.name ?? '', { namespace: r.metadata.namespace });
    } catch (e) {
      if (!isStatusError(e, 'NotFound')) throw e;
    }
  }
}
