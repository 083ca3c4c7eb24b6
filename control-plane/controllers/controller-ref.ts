import type { OwnerReference } from 'kubernetes-types/meta/v1.js';
import type { ApiObject, KubeObject } from '../../api/object.js';

/** The owner reference with `controller: true`, if any. */
export function controllerRefOf(obj: ApiObject): OwnerReference | undefined {
  return (obj.metadata?.ownerReferences ?? []).find((r) => r.controller === true);
}

/** An owner reference naming `owner` as the controller, blocking its foreground deletion. */
export function controllerRefTo(owner: KubeObject, apiVersion: string, kind: string): OwnerReference {
  return {
    apiVersion,
    kind,
    name: owner.metadata.name ?? '',
    uid: owner.metadata.uid ?? '',
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** RFC 3339 with seconds, as the apiserver writes timestamps. */
export function timestamp(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}
