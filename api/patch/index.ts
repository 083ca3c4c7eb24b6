export { applyPatch, PATCH_CONTENT_TYPES } from './apply-patch.js';
export { applyJsonPatch, MAX_JSON_PATCH_OPERATIONS } from './json-patch.js';
export { fieldPatchMeta, PATCH_METADATA, patchTypeOfKind } from './merge-keys.js';
export { applyMergePatch, mergePatchValue } from './merge-patch.js';
export { applyStrategicMergePatch } from './strategic-merge-patch.js';
