import type { Namespace } from 'kubernetes-types/core/v1.js';
import type { KindHooks } from './hooks.js';

export const namespaceHooks: KindHooks = {
  prepareForCreate(obj) {
    obj.status = { phase: 'Active' };
  },
  onDeletionStart(obj) {
    obj.status = { ...((obj.status as object) ?? {}), phase: 'Terminating' };
  },
  finalizationPending(obj) {
    return ((obj as unknown as Namespace).spec?.finalizers ?? []).length > 0;
  },
};
