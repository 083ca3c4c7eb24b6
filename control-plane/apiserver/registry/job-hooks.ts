import { generateJobSelector } from '../../../api/defaults/index.js';
import type { KindHooks } from './hooks.js';

export const jobHooks: KindHooks = {
  prepareForCreate(obj) {
    obj.status = {};
    generateJobSelector(obj, obj.metadata.uid ?? '');
  },
};

/** Kinds whose status is the controllers' to write: cleared on create. */
export const resetStatusHooks: KindHooks = {
  prepareForCreate(obj) {
    obj.status = {};
  },
};
