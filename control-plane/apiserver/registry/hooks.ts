import type { DeleteOptions } from 'kubernetes-types/meta/v1.js';
import type { KubeObject } from '../../../api/object.js';
import type { RequestContext } from './context.js';

/**
 * Per-kind behaviour on top of the generic registry, the counterpart of upstream's
 * RESTCreateStrategy/RESTUpdateStrategy/RESTGracefulDeleteStrategy. Every method is optional.
 */
export interface KindHooks {
  /** Server-set fields on create (status reset, derived labels). Runs before defaulting. */
  prepareForCreate?(obj: KubeObject, ctx: RequestContext): void;
  /** Server-set fields on update of the main resource. Runs after status was carried over. */
  prepareForUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): void;
  /** Side effects that must hold before the object is written (IP allocation). May throw StatusError. */
  beforeCreate?(obj: KubeObject, ctx: RequestContext): Promise<void>;
  /** Undo beforeCreate when the write failed. */
  createFailed?(obj: KubeObject): Promise<void>;
  beforeUpdate?(obj: KubeObject, old: KubeObject, ctx: RequestContext): Promise<void>;
  updateFailed?(obj: KubeObject, old: KubeObject): Promise<void>;
  /** After the object is gone from storage (release allocations). */
  afterDelete?(obj: KubeObject): Promise<void>;
  /** Seconds to wait before the object is removed; 0 deletes now. Default 0. */
  gracePeriodSeconds?(obj: KubeObject, options: DeleteOptions): number;
  /** Finalizers the object gets when deletion starts (namespace: spec.finalizers drive it). */
  onDeletionStart?(obj: KubeObject, ctx: RequestContext): void;
  /** Seconds after which storage drops the object (etcd lease); none by default. */
  storageTtlSeconds?(): number;
  /** Kind-specific finalization still pending (namespace spec.finalizers): the object stays while true. */
  finalizationPending?(obj: KubeObject): boolean;
}
