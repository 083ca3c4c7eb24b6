import { describe, expect, it } from 'vitest';
import { generateJobSelector } from '../../../api/defaults/index.js';
import type { KubeObject } from '../../../api/object.js';
import { cronScheduleError } from '../../../api/validation/index.js';
import { create, GVK, type Loose, lines, make, podTemplate, update } from './helpers.js';

/** A Job as the server prepares it on create: selector generated, then defaults. */
function job(spec: Record<string, unknown>, name = 'pi'): KubeObject {
  const obj: KubeObject = {
    metadata: { name, namespace: 'default', uid: 'uid-1' },
    spec: structuredClone(spec),
  };
  generateJobSelector(obj, 'uid-1');
  return make(GVK.job, obj as never, obj.metadata as never);
}

const neverTemplate = () => podTemplate({ app: 'pi' }, { restartPolicy: 'Never' });

describe('job validation', () => {
  it('accepts a job with a generated selector', () => {
    const j = job({ template: neverTemplate() });
    expect(create(GVK.job, j as never, j.metadata as never)).toEqual([]);
  });

  it('rejects the defaulted Always restart policy as upstream does', () => {
    const j = job({ template: podTemplate({ app: 'pi' }) });
    expect(lines(create(GVK.job, j as never, j.metadata as never))).toEqual([
      'spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });

  it('requires a selector matching the template for a manual selector', () => {
    const spec = {
      manualSelector: true,
      selector: { matchLabels: { app: 'other' } },
      template: neverTemplate(),
    };
    expect(lines(create(GVK.job, { spec }))).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"pi"}: `selector` does not match template `labels`',
    ]);
  });

  it('rejects a generated selector that was tampered with', () => {
    const j: Loose = job({ template: neverTemplate() });
    j.spec.selector.matchLabels['batch.kubernetes.io/controller-uid'] = 'other';
    j.spec.template.metadata.labels['batch.kubernetes.io/controller-uid'] = 'other';
    expect(lines(create(GVK.job, j, j.metadata))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated',
      'spec.template.metadata.labels[batch.kubernetes.io/controller-uid]: Invalid value: "other": must be \'uid-1\'',
    ]);
  });

  it('checks counts and the completion mode', () => {
    const j: Loose = job({
      template: neverTemplate(),
      parallelism: -1,
      backoffLimit: -2,
      completionMode: 'Indexed',
    });
    delete j.spec.completions;
    expect(lines(create(GVK.job, j, j.metadata))).toEqual([
      'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
      'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
      'spec.completions: Required value: when completion mode is Indexed',
    ]);
  });

  it('keeps selector, completions and template immutable on update', () => {
    const old = job({ template: neverTemplate() });
    const next: Loose = structuredClone(old);
    next.spec.parallelism = 4;
    next.spec.suspend = true;
    expect(update(GVK.job, next, old)).toEqual([]);
    next.spec.completions = 3;
    next.spec.template.spec.containers[0].image = 'perl:2';
    const errs = lines(update(GVK.job, next, old));
    expect(errs[0]).toBe('spec.completions: Invalid value: 3: field is immutable');
    expect(errs[1]).toMatch(/^spec\.template: Invalid value: .*: field is immutable$/);
    expect(errs).toHaveLength(2);
  });

  it('lets a suspended job that never started change its template', () => {
    const old: Loose = job({ template: neverTemplate(), suspend: true });
    const next: Loose = structuredClone(old);
    next.spec.template.spec.containers[0].image = 'perl:2';
    expect(update(GVK.job, next, old)).toEqual([]);
  });
});

describe('cronjob validation', () => {
  const jobTemplate = () => ({
    spec: { template: podTemplate({ app: 'c' }, { restartPolicy: 'OnFailure' }) },
  });

  it('accepts a defaulted cronjob', () => {
    expect(create(GVK.cronJob, { spec: { schedule: '*/5 * * * *', jobTemplate: jobTemplate() } })).toEqual(
      [],
    );
    expect(
      create(GVK.cronJob, {
        spec: { schedule: '@hourly', timeZone: 'Europe/Paris', jobTemplate: jobTemplate() },
      }),
    ).toEqual([]);
  });

  it('requires a parseable schedule', () => {
    expect(lines(create(GVK.cronJob, { spec: { schedule: '', jobTemplate: jobTemplate() } }))).toEqual([
      'spec.schedule: Required value',
    ]);
    expect(
      lines(create(GVK.cronJob, { spec: { schedule: 'every minute', jobTemplate: jobTemplate() } })),
    ).toEqual([
      'spec.schedule: Invalid value: "every minute": expected exactly 5 fields, found 2: [every minute]',
    ]);
    expect(
      lines(create(GVK.cronJob, { spec: { schedule: 'TZ=UTC 0 * * * *', jobTemplate: jobTemplate() } })),
    ).toEqual([
      'spec.schedule: Invalid value: "TZ=UTC 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
    ]);
  });

  it('checks policy, time zone, name length and the job template', () => {
    const spec = {
      schedule: '0 0 * * *',
      concurrencyPolicy: 'Sometimes',
      timeZone: 'Mars/Olympus',
      jobTemplate: { spec: { template: podTemplate({ app: 'c' }) } },
    };
    expect(lines(create(GVK.cronJob, { spec }, { name: 'c'.repeat(53) }))).toEqual([
      `metadata.name: Invalid value: "${'c'.repeat(53)}": must be no more than 52 characters`,
      'spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus',
      'spec.concurrencyPolicy: Unsupported value: "Sometimes": supported values: "Allow", "Forbid", "Replace"',
      'spec.jobTemplate.spec.template.spec.restartPolicy: Unsupported value: "Always": supported values: "OnFailure", "Never"',
    ]);
  });
});

describe('cron schedule parser', () => {
  it('accepts standard schedules and descriptors', () => {
    for (const s of [
      '* * * * *',
      '0 3 * * 1-5',
      '*/15 0,12 1 jan-jun mon',
      '@daily',
      '@every 1h30m',
      '5 4 * * sun',
    ]) {
      expect(cronScheduleError(s), s).toBeUndefined();
    }
  });

  it('reports out-of-range values and unknown descriptors', () => {
    expect(cronScheduleError('60 * * * *')).toBe('end of range (60) above maximum (59): 60');
    expect(cronScheduleError('* * 0 * *')).toBe('beginning of range (0) below minimum (1): 0');
    expect(cronScheduleError('5-1 * * * *')).toBe('beginning of range (5) beyond end of range (1): 5-1');
    expect(cronScheduleError('*/0 * * * *')).toBe('step of range should be a positive number: */0');
    expect(cronScheduleError('@sometimes')).toBe('unrecognized descriptor: @sometimes');
    expect(cronScheduleError('x * * * *')).toMatch(/^failed to parse int from x/);
  });
});

describe('job podFailurePolicy and per-index backoff validation', () => {
  const indexed = (extra: Record<string, unknown>) =>
    job({ completionMode: 'Indexed', completions: 4, template: neverTemplate(), ...extra });
  const errs = (j: KubeObject) => lines(create(GVK.job, j as never, j.metadata as never));

  it('accepts upstream-shaped rules', () => {
    const j = indexed({
      backoffLimitPerIndex: 1,
      maxFailedIndexes: 2,
      podFailurePolicy: {
        rules: [
          { action: 'FailJob', onExitCodes: { containerName: 'main', operator: 'In', values: [1, 42] } },
          { action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] },
          { action: 'FailIndex', onExitCodes: { operator: 'NotIn', values: [0] } },
        ],
      },
    });
    expect(errs(j)).toEqual([]);
  });

  it('requires restartPolicy Never with a podFailurePolicy', () => {
    const j = job({
      template: podTemplate({ app: 'pi' }, { restartPolicy: 'OnFailure' }),
      podFailurePolicy: { rules: [{ action: 'Count', onExitCodes: { operator: 'In', values: [1] } }] },
    });
    expect(errs(j)).toEqual([
      'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
    ]);
  });

  it('refuses malformed rules with readable messages', () => {
    const j = indexed({
      podFailurePolicy: {
        rules: [
          { action: 'FailIndex', onExitCodes: { operator: 'In', values: [0, 3, 3, 2] } },
          { action: 'Explode', onPodConditions: [{ type: 'DisruptionTarget', status: 'Maybe' }] },
          { action: 'Count' },
        ],
      },
    });
    const out = errs(j);
    expect(out).toContain(
      'spec.podFailurePolicy.rules[0].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
    );
    expect(out).toContain(
      'spec.podFailurePolicy.rules[0].onExitCodes.values[0]: Invalid value: 0: must not be 0 for the In operator',
    );
    expect(out).toContain('spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3');
    expect(out).toContain(
      'spec.podFailurePolicy.rules[0].onExitCodes.values[3]: Invalid value: 2: must be ordered',
    );
    expect(
      out.some((l) => l.startsWith('spec.podFailurePolicy.rules[1].action: Unsupported value: "Explode"')),
    ).toBe(true);
    expect(
      out.some((l) =>
        l.startsWith('spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe"'),
      ),
    ).toBe(true);
    expect(
      out.some(
        (l) =>
          l.includes('rules[2]') &&
          l.includes('specifying one of OnExitCodes and OnPodConditions is required'),
      ),
    ).toBe(true);
  });

  it('ties maxFailedIndexes to backoffLimitPerIndex and completions', () => {
    expect(errs(indexed({ maxFailedIndexes: 1 }))).toEqual([
      'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified',
    ]);
    expect(errs(indexed({ backoffLimitPerIndex: 1, maxFailedIndexes: 5 }))).toEqual([
      'spec.maxFailedIndexes: Invalid value: 5: must be less than or equal to completions',
    ]);
    expect(errs(indexed({ backoffLimitPerIndex: -1 }))).toEqual([
      'spec.backoffLimitPerIndex: Invalid value: -1: must be greater than or equal to 0',
    ]);
  });
});
