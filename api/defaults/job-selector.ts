import type { Job } from 'kubernetes-types/batch/v1.js';
import type { KubeObject } from '../object.js';

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

/**
 * What upstream's job strategy does on create unless `spec.manualSelector` is true: label the pod
 * template with the job's uid and name (new and legacy keys) and select on the uid.
 */
export function generateJobSelector(obj: KubeObject, uid: string): void {
  const job = obj as unknown as Job;
  const spec = job.spec;
  if (!spec || spec.manualSelector === true) return;
  const name = obj.metadata.name ?? '';
  spec.template ??= {};
  spec.template.metadata ??= {};
  // Labels the user set are kept; a conflict with the uid is then reported by validation.
  spec.template.metadata.labels = {
    [CONTROLLER_UID_LABEL]: uid,
    [LEGACY_CONTROLLER_UID_LABEL]: uid,
    [JOB_NAME_LABEL]: name,
    [LEGACY_JOB_NAME_LABEL]: name,
    ...(spec.template.metadata.labels ?? {}),
  };
  spec.selector = {
    ...(spec.selector ?? {}),
    matchLabels: { [CONTROLLER_UID_LABEL]: uid, ...(spec.selector?.matchLabels ?? {}) },
  };
}
