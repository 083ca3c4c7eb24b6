import type { CronJob, Job, JobSpec, PodFailurePolicy } from 'kubernetes-types/batch/v1.js';
import type { FieldError } from '../errors.js';
import { cronScheduleError } from './cron-schedule.js';
import {
  deepEqual,
  duplicate,
  formatStringMap,
  immutable,
  invalidRendered,
  invalidValue,
  nonNegative,
  notSupported,
  positive,
  required,
  tooMany,
} from './field-errors.js';
import { formatSelector, isEmptySelector, selectorMatches, validateLabelSelector } from './label-selector.js';
import { maxLenError } from './name-rules.js';
import { validateAnnotations, validateLabels } from './object-meta.js';
import { validatePodTemplateSpec } from './pod-spec.js';

const COMPLETION_MODES = ['NonIndexed', 'Indexed'];
const POD_REPLACEMENT_POLICIES = ['TerminatingOrFailed', 'Failed'];
const CONCURRENCY_POLICIES = ['Allow', 'Forbid', 'Replace'];
const FAILURE_POLICY_ACTIONS = ['FailJob', 'FailIndex', 'Ignore', 'Count'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['True', 'False', 'Unknown'];
const MAX_FAILURE_POLICY_RULES = 20;
const MAX_EXIT_CODE_VALUES = 255;
const MAX_POD_CONDITION_PATTERNS = 20;
const MAX_FAILED_INDEXES_LIMIT = 100_000;

/** spec.podFailurePolicy, as upstream's validatePodFailurePolicy. */
function validatePodFailurePolicy(s: JobSpec, field: string): FieldError[] {
  const policy = s.podFailurePolicy as PodFailurePolicy;
  const errs: FieldError[] = [];
  if (s.template?.spec?.restartPolicy !== undefined && s.template.spec.restartPolicy !== 'Never')
    errs.push(
      invalidValue(
        `${field}.template.spec.restartPolicy`,
        s.template.spec.restartPolicy,
        'only "Never" is supported when podFailurePolicy is specified',
      ),
    );
  const rules = policy.rules ?? [];
  const path = `${field}.podFailurePolicy.rules`;
  if (rules.length > MAX_FAILURE_POLICY_RULES)
    errs.push(tooMany(path, rules.length, MAX_FAILURE_POLICY_RULES));
  rules.forEach((rule, i) => {
    const at = `${path}[${i}]`;
    if (!FAILURE_POLICY_ACTIONS.includes(rule.action))
      errs.push(notSupported(`${at}.action`, rule.action, FAILURE_POLICY_ACTIONS));
    else if (rule.action === 'FailIndex' && s.backoffLimitPerIndex === undefined)
      errs.push(invalidValue(`${at}.action`, rule.action, 'requires the backoffLimitPerIndex to be set'));
    const exit = rule.onExitCodes;
    const conditions = rule.onPodConditions ?? [];
    if (exit && conditions.length > 0)
      errs.push(invalidValue(at, '', 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!exit && conditions.length === 0)
      errs.push(invalidValue(at, '', 'specifying one of OnExitCodes and OnPodConditions is required'));
    if (exit) {
      if (!EXIT_CODE_OPERATORS.includes(exit.operator))
        errs.push(notSupported(`${at}.onExitCodes.operator`, exit.operator, EXIT_CODE_OPERATORS));
      const values = exit.values ?? [];
      if (values.length === 0) errs.push(required(`${at}.onExitCodes.values`));
      if (values.length > MAX_EXIT_CODE_VALUES)
        errs.push(tooMany(`${at}.onExitCodes.values`, values.length, MAX_EXIT_CODE_VALUES));
      values.forEach((v, j) => {
        const vp = `${at}.onExitCodes.values[${j}]`;
        if (exit.operator === 'In' && v === 0)
          errs.push(invalidValue(vp, v, 'must not be 0 for the In operator'));
        const prev = values[j - 1];
        if (prev !== undefined && v === prev) errs.push(duplicate(vp, v));
        else if (prev !== undefined && v < prev) errs.push(invalidValue(vp, v, 'must be ordered'));
      });
    }
    if (conditions.length > MAX_POD_CONDITION_PATTERNS)
      errs.push(tooMany(`${at}.onPodConditions`, conditions.length, MAX_POD_CONDITION_PATTERNS));
    conditions.forEach((c, j) => {
      const cp = `${at}.onPodConditions[${j}]`;
      if (!c.type) errs.push(required(`${cp}.type`));
      if (c.status !== undefined && !CONDITION_STATUSES.includes(c.status))
        errs.push(notSupported(`${cp}.status`, c.status, CONDITION_STATUSES));
    });
  });
  return errs;
}

/** The job spec rules; `inCronJob` drops the selector requirements (a template has no selector yet). */
function validateJobSpec(s: JobSpec | undefined, field: string, inCronJob: boolean): FieldError[] {
  if (!s) return [required(field)];
  const errs: FieldError[] = [];
  errs.push(...nonNegative(`${field}.parallelism`, s.parallelism));
  errs.push(...nonNegative(`${field}.completions`, s.completions));
  errs.push(...positive(`${field}.activeDeadlineSeconds`, s.activeDeadlineSeconds));
  errs.push(...nonNegative(`${field}.backoffLimit`, s.backoffLimit));
  errs.push(...nonNegative(`${field}.ttlSecondsAfterFinished`, s.ttlSecondsAfterFinished));
  if (s.completionMode !== undefined && !COMPLETION_MODES.includes(s.completionMode)) {
    errs.push(notSupported(`${field}.completionMode`, s.completionMode, COMPLETION_MODES));
  }
  if (s.completionMode === 'Indexed' && s.completions === undefined) {
    errs.push(required(`${field}.completions`, 'when completion mode is Indexed'));
  }
  if (s.backoffLimitPerIndex !== undefined && s.completionMode !== 'Indexed') {
    errs.push(
      invalidValue(
        `${field}.backoffLimitPerIndex`,
        s.backoffLimitPerIndex,
        'requires indexed completion mode',
      ),
    );
  }
  errs.push(...nonNegative(`${field}.backoffLimitPerIndex`, s.backoffLimitPerIndex));
  if (s.maxFailedIndexes !== undefined) {
    errs.push(...nonNegative(`${field}.maxFailedIndexes`, s.maxFailedIndexes));
    if (s.backoffLimitPerIndex === undefined)
      errs.push(required(`${field}.backoffLimitPerIndex`, 'when maxFailedIndexes is specified'));
    else if (s.completions !== undefined && s.maxFailedIndexes > s.completions)
      errs.push(
        invalidValue(
          `${field}.maxFailedIndexes`,
          s.maxFailedIndexes,
          'must be less than or equal to completions',
        ),
      );
    else if (s.maxFailedIndexes > MAX_FAILED_INDEXES_LIMIT)
      errs.push(
        invalidValue(
          `${field}.maxFailedIndexes`,
          s.maxFailedIndexes,
          `must be less than or equal to ${MAX_FAILED_INDEXES_LIMIT}`,
        ),
      );
  }
  if (s.podFailurePolicy) errs.push(...validatePodFailurePolicy(s, field));
  if (s.podReplacementPolicy !== undefined && !POD_REPLACEMENT_POLICIES.includes(s.podReplacementPolicy)) {
    errs.push(
      notSupported(`${field}.podReplacementPolicy`, s.podReplacementPolicy, POD_REPLACEMENT_POLICIES),
    );
  }
  if (inCronJob) {
    if (s.manualSelector) errs.push(notSupported(`${field}.manualSelector`, true, ['nil', 'false']));
  } else if (!s.selector) {
    errs.push(required(`${field}.selector`));
  } else {
    errs.push(...validateLabelSelector(s.selector, `${field}.selector`));
    if (isEmptySelector(s.selector)) {
      errs.push(
        invalidRendered(`${field}.selector`, formatSelector(s.selector), 'empty selector is invalid for job'),
      );
    } else if (!selectorMatches(s.selector, s.template?.metadata?.labels)) {
      errs.push(
        invalidRendered(
          `${field}.template.metadata.labels`,
          formatStringMap(s.template?.metadata?.labels),
          '`selector` does not match template `labels`',
        ),
      );
    }
  }
  errs.push(...validatePodTemplateSpec(s.template, `${field}.template`));
  const rp = s.template?.spec?.restartPolicy;
  if (rp !== 'OnFailure' && rp !== 'Never') {
    errs.push(notSupported(`${field}.template.spec.restartPolicy`, rp ?? '', ['OnFailure', 'Never']));
  }
  return errs;
}

const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';

/** With a generated selector, the selector and template must carry this job's uid. */
function validateGeneratedSelector(job: Job): FieldError[] {
  const s = job.spec;
  const uid = job.metadata?.uid;
  if (!s || s.manualSelector === true || !uid || !s.selector) return [];
  const errs: FieldError[] = [];
  if (s.selector.matchLabels?.[CONTROLLER_UID_LABEL] !== uid) {
    errs.push(invalidRendered('spec.selector', formatSelector(s.selector), '`selector` not auto-generated'));
  }
  const labelValue = s.template?.metadata?.labels?.[CONTROLLER_UID_LABEL];
  if (labelValue !== uid) {
    errs.push(
      invalidValue(
        `spec.template.metadata.labels[${CONTROLLER_UID_LABEL}]`,
        labelValue ?? '',
        `must be '${uid}'`,
      ),
    );
  }
  return errs;
}

export function validateJob(job: Job): FieldError[] {
  return [...validateJobSpec(job.spec, 'spec', false), ...validateGeneratedSelector(job)];
}

/** Upstream allows template changes only while a job is suspended and has never started. */
export function validateJobUpdate(next: Job, old: Job): FieldError[] {
  const n = next.spec ?? ({} as JobSpec);
  const o = old.spec ?? ({} as JobSpec);
  const errs: FieldError[] = [];
  if (!deepEqual(n.selector, o.selector)) {
    errs.push(invalidRendered('spec.selector', formatSelector(n.selector), 'field is immutable'));
  }
  errs.push(...immutable('spec.completions', n.completions, o.completions));
  errs.push(...immutable('spec.completionMode', n.completionMode, o.completionMode));
  errs.push(...immutable('spec.podFailurePolicy', n.podFailurePolicy, o.podFailurePolicy));
  errs.push(...immutable('spec.backoffLimitPerIndex', n.backoffLimitPerIndex, o.backoffLimitPerIndex));
  const neverStarted = o.suspend === true && !old.status?.startTime;
  if (!neverStarted && !deepEqual(n.template, o.template)) {
    errs.push(invalidValue('spec.template', n.template, 'field is immutable'));
  }
  return errs;
}

export function validateCronJob(cj: CronJob): FieldError[] {
  const errs: FieldError[] = [];
  const name = cj.metadata?.name ?? '';
  // Job names get an 11-character suffix and must still fit a 63-character label.
  if (name.length > 52) errs.push(invalidValue('metadata.name', name, maxLenError(52)));
  const s = cj.spec;
  if (!s) return [...errs, required('spec')];
  if (!s.schedule) errs.push(required('spec.schedule'));
  else if (/(^|\s)(CRON_)?TZ=/.test(s.schedule)) {
    errs.push(
      invalidValue(
        'spec.schedule',
        s.schedule,
        'cannot use TZ or CRON_TZ in schedule, use timeZone field instead',
      ),
    );
  } else {
    const err = cronScheduleError(s.schedule);
    if (err) errs.push(invalidValue('spec.schedule', s.schedule, err));
  }
  if (s.timeZone !== undefined) {
    const tzError = timeZoneError(s.timeZone);
    if (tzError) errs.push(invalidValue('spec.timeZone', s.timeZone, tzError));
  }
  if (s.concurrencyPolicy !== undefined && !CONCURRENCY_POLICIES.includes(s.concurrencyPolicy)) {
    errs.push(notSupported('spec.concurrencyPolicy', s.concurrencyPolicy, CONCURRENCY_POLICIES));
  } else if (s.concurrencyPolicy === undefined) {
    errs.push(required('spec.concurrencyPolicy'));
  }
  errs.push(...nonNegative('spec.startingDeadlineSeconds', s.startingDeadlineSeconds));
  errs.push(...nonNegative('spec.successfulJobsHistoryLimit', s.successfulJobsHistoryLimit));
  errs.push(...nonNegative('spec.failedJobsHistoryLimit', s.failedJobsHistoryLimit));
  const jt = s.jobTemplate;
  if (!jt) {
    errs.push(required('spec.jobTemplate'));
    return errs;
  }
  errs.push(...validateLabels(jt.metadata?.labels, 'spec.jobTemplate.metadata.labels'));
  errs.push(...validateAnnotations(jt.metadata?.annotations, 'spec.jobTemplate.metadata.annotations'));
  errs.push(...validateJobSpec(jt.spec, 'spec.jobTemplate.spec', true));
  return errs;
}

function timeZoneError(tz: string): string | undefined {
  // Go's LoadLocation reads "" as UTC.
  if (tz === '') return undefined;
  if (tz.toLowerCase() === 'local') {
    return 'timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones';
  }
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return undefined;
  } catch {
    return `unknown time zone ${tz}`;
  }
}
