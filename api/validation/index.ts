export { cronScheduleError } from './cron-schedule.js';
export { validateLabelSelector } from './label-selector.js';
export {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './name-rules.js';
export { type GroupVersionKind, validateCreate, validateUpdate } from './validate.js';
