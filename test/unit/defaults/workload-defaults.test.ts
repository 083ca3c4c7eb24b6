import { describe, expect, it } from 'vitest';
import { applyDefaults, generateJobSelector } from '../../../api/defaults/index.js';
import type { KubeObject } from '../../../api/object.js';

const template = () => ({
  metadata: { labels: { app: 'web' } },
  spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
});

type Loose = any;

function defaulted(
  group: string,
  kind: string,
  spec: Record<string, unknown>,
  labels?: Record<string, string>,
): Loose {
  const obj: KubeObject = { metadata: { name: 'w', namespace: 'default', labels }, spec };
  applyDefaults({ group, version: 'v1', kind }, obj);
  return obj;
}

describe('workload defaults', () => {
  it('defaults a Deployment and its pod template', () => {
    const d = defaulted('apps', 'Deployment', {
      selector: { matchLabels: { app: 'web' } },
      template: template(),
    });
    expect(d.spec).toMatchObject({
      replicas: 1,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '25%', maxSurge: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
    });
    expect(d.spec.template.spec.restartPolicy).toBe('Always');
    expect(d.spec.template.spec.dnsPolicy).toBe('ClusterFirst');
    expect(d.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    // The service-account default is admission on pods, not on templates.
    expect(d.spec.template.spec.serviceAccountName).toBeUndefined();
  });

  it('adds no rollingUpdate to a Recreate Deployment and keeps replicas 0', () => {
    const d = defaulted('apps', 'Deployment', {
      replicas: 0,
      strategy: { type: 'Recreate' },
      template: template(),
    });
    expect(d.spec.strategy).toEqual({ type: 'Recreate' });
    expect(d.spec.replicas).toBe(0);
  });

  it('defaults a ReplicaSet', () => {
    const rs = defaulted('apps', 'ReplicaSet', { template: template() });
    expect(rs.spec.replicas).toBe(1);
    expect(rs.spec.template.spec.schedulerName).toBe('default-scheduler');
  });

  it('defaults a DaemonSet update strategy', () => {
    const ds = defaulted('apps', 'DaemonSet', { template: template() });
    expect(ds.spec.updateStrategy).toEqual({
      type: 'RollingUpdate',
      rollingUpdate: { maxUnavailable: 1, maxSurge: 0 },
    });
    expect(ds.spec.revisionHistoryLimit).toBe(10);
  });

  it('defaults a StatefulSet', () => {
    const sts = defaulted('apps', 'StatefulSet', { serviceName: 'web', template: template() });
    expect(sts.spec).toMatchObject({
      replicas: 1,
      podManagementPolicy: 'OrderedReady',
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 0 } },
      revisionHistoryLimit: 10,
      persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Retain', whenScaled: 'Retain' },
    });
  });

  it('defaults a Job with neither completions nor parallelism to one of each', () => {
    const job = defaulted('batch', 'Job', { template: template() });
    expect(job.spec).toMatchObject({
      completions: 1,
      parallelism: 1,
      backoffLimit: 6,
      completionMode: 'NonIndexed',
      suspend: false,
      podReplacementPolicy: 'TerminatingOrFailed',
    });
    // Upstream copies the template labels onto an unlabeled Job.
    expect(job.metadata.labels).toEqual({ app: 'web' });
  });

  it('leaves completions unset for a work-queue Job with only parallelism', () => {
    const job = defaulted('batch', 'Job', { parallelism: 3, template: template() });
    expect(job.spec.parallelism).toBe(3);
    expect(job.spec.completions).toBeUndefined();
  });

  it('defaults parallelism to 1 when only completions is set and keeps own labels', () => {
    const job = defaulted('batch', 'Job', { completions: 5, template: template() }, { team: 'a' });
    expect(job.spec.parallelism).toBe(1);
    expect(job.spec.completions).toBe(5);
    expect(job.metadata.labels).toEqual({ team: 'a' });
  });

  it('defaults a CronJob and the pod template inside its job template', () => {
    const cj = defaulted('batch', 'CronJob', {
      schedule: '*/5 * * * *',
      jobTemplate: { spec: { template: template() } },
    });
    expect(cj.spec).toMatchObject({
      concurrencyPolicy: 'Allow',
      suspend: false,
      successfulJobsHistoryLimit: 3,
      failedJobsHistoryLimit: 1,
    });
    expect(cj.spec.jobTemplate.spec.template.spec.restartPolicy).toBe('Always');
    expect(cj.spec.jobTemplate.spec.parallelism).toBeUndefined();
  });
});

describe('generateJobSelector', () => {
  it('labels the template with the uid and job name and selects on the uid', () => {
    const job: KubeObject = {
      metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
      spec: { template: template() },
    };
    generateJobSelector(job, 'u-1');
    const spec = job.spec as {
      selector: unknown;
      template: { metadata: { labels: Record<string, string> } };
    };
    expect(spec.selector).toEqual({ matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
    expect(spec.template.metadata.labels).toEqual({
      app: 'web',
      'batch.kubernetes.io/controller-uid': 'u-1',
      'controller-uid': 'u-1',
      'batch.kubernetes.io/job-name': 'pi',
      'job-name': 'pi',
    });
  });

  it('leaves a manual selector alone', () => {
    const spec = { manualSelector: true, selector: { matchLabels: { app: 'web' } }, template: template() };
    const job: KubeObject = { metadata: { name: 'pi' }, spec };
    generateJobSelector(job, 'u-1');
    expect(spec.selector).toEqual({ matchLabels: { app: 'web' } });
    expect(spec.template.metadata.labels).toEqual({ app: 'web' });
  });
});
