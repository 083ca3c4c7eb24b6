import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { CronJob, Job } from 'kubernetes-types/batch/v1.js';
import type { PodTemplate } from 'kubernetes-types/core/v1.js';
import { defaultPodTemplateSpec } from './pod-defaults.js';

/** Upstream's apps/v1 and batch/v1 defaults (pkg/apis/apps/v1, pkg/apis/batch/v1 defaults.go). */

export function defaultDeployment(d: Deployment): void {
  const s = d.spec;
  if (!s) return;
  s.replicas ??= 1;
  s.strategy ??= {};
  s.strategy.type ||= 'RollingUpdate';
  if (s.strategy.type === 'RollingUpdate') {
    s.strategy.rollingUpdate ??= {};
    s.strategy.rollingUpdate.maxUnavailable ??= '25%';
    s.strategy.rollingUpdate.maxSurge ??= '25%';
  }
  s.revisionHistoryLimit ??= 10;
  s.progressDeadlineSeconds ??= 600;
  defaultPodTemplateSpec(s.template);
}

export function defaultReplicaSet(rs: ReplicaSet): void {
  const s = rs.spec;
  if (!s) return;
  s.replicas ??= 1;
  defaultPodTemplateSpec(s.template);
}

export function defaultDaemonSet(ds: DaemonSet): void {
  const s = ds.spec;
  if (!s) return;
  s.updateStrategy ??= {};
  s.updateStrategy.type ||= 'RollingUpdate';
  if (s.updateStrategy.type === 'RollingUpdate') {
    s.updateStrategy.rollingUpdate ??= {};
    s.updateStrategy.rollingUpdate.maxUnavailable ??= 1;
    s.updateStrategy.rollingUpdate.maxSurge ??= 0;
  }
  s.revisionHistoryLimit ??= 10;
  defaultPodTemplateSpec(s.template);
}

export function defaultStatefulSet(sts: StatefulSet): void {
  const s = sts.spec;
  if (!s) return;
  s.replicas ??= 1;
  s.podManagementPolicy ||= 'OrderedReady';
  s.updateStrategy ??= {};
  s.updateStrategy.type ||= 'RollingUpdate';
  if (s.updateStrategy.type === 'RollingUpdate') {
    s.updateStrategy.rollingUpdate ??= {};
    s.updateStrategy.rollingUpdate.partition ??= 0;
  }
  s.revisionHistoryLimit ??= 10;
  s.persistentVolumeClaimRetentionPolicy ??= {};
  s.persistentVolumeClaimRetentionPolicy.whenDeleted ||= 'Retain';
  s.persistentVolumeClaimRetentionPolicy.whenScaled ||= 'Retain';
  for (const pvc of s.volumeClaimTemplates ?? []) {
    if (pvc.spec) pvc.spec.volumeMode ||= 'Filesystem';
  }
  defaultPodTemplateSpec(s.template);
}

export function defaultJob(job: Job): void {
  const s = job.spec;
  if (!s) return;
  // Both unset: one pod to one completion; otherwise parallelism alone defaults to 1.
  if (s.completions === undefined && s.parallelism === undefined) {
    s.completions = 1;
    s.parallelism = 1;
  }
  s.parallelism ??= 1;
  s.backoffLimit ??= s.backoffLimitPerIndex !== undefined ? 2147483647 : 6;
  s.completionMode ||= 'NonIndexed';
  s.suspend ??= false;
  s.podReplacementPolicy ||= s.podFailurePolicy ? 'Failed' : 'TerminatingOrFailed';
  if (Object.keys(job.metadata?.labels ?? {}).length === 0 && s.template?.metadata?.labels) {
    job.metadata ??= {};
    job.metadata.labels = { ...s.template.metadata.labels };
  }
  defaultPodTemplateSpec(s.template);
}

export function defaultCronJob(cj: CronJob): void {
  const s = cj.spec;
  if (!s) return;
  s.concurrencyPolicy ||= 'Allow';
  s.suspend ??= false;
  s.successfulJobsHistoryLimit ??= 3;
  s.failedJobsHistoryLimit ??= 1;
  defaultPodTemplateSpec(s.jobTemplate?.spec?.template);
}

export function defaultPodTemplate(pt: PodTemplate): void {
  defaultPodTemplateSpec(pt.template);
}
