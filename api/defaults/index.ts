export { applyDefaults, type GroupVersionKind } from './apply-defaults.js';
export {
  CONTROLLER_UID_LABEL,
  generateJobSelector,
  JOB_NAME_LABEL,
  LEGACY_CONTROLLER_UID_LABEL,
  LEGACY_JOB_NAME_LABEL,
} from './job-selector.js';
export { defaultPullPolicy } from './pod-defaults.js';
