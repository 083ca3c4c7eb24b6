export { ContainerGc, type ContainerGcOptions, type ContainerGcResult } from './container-gc.js';
export {
  type ContainerGcPolicy,
  DEFAULT_CONTAINER_GC_POLICY,
  type IsPodKnown,
  planContainerRemoval,
  planSandboxRemoval,
} from './container-gc-plan.js';
export {
  CONTAINER_GC_PERIOD_MS,
  GarbageCollector,
  type GarbageCollectorOptions,
  IMAGE_GC_PERIOD_MS,
} from './garbage-collector.js';
export { ImageGc, type ImageGcOptions, type ImageGcResult } from './image-gc.js';
export {
  bytesToFree,
  DEFAULT_IMAGE_GC_POLICY,
  type FsCapacity,
  type ImageGcPolicy,
  ImageGcPolicyError,
  type ImageRecord,
  planImageRemoval,
  usagePercent,
  validateImageGcPolicy,
} from './image-gc-plan.js';
