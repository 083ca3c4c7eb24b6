import type { DaemonSet, Deployment, ReplicaSet, StatefulSet } from 'kubernetes-types/apps/v1.js';
import type { PodTemplateSpec } from 'kubernetes-types/core/v1.js';
import type { LabelSelector } from 'kubernetes-types/meta/v1.js';

type IntOrString = number | string;

import type { FieldError } from '../errors.js';
import {
  deepEqual,
  forbidden,
  formatStringMap,
  invalidRendered,
  invalidValue,
  nonNegative,
  notSupported,
  required,
} from './field-errors.js';
import { formatSelector, isEmptySelector, selectorMatches, validateLabelSelector } from './label-selector.js';
import { percentError } from './name-rules.js';
import { validatePodTemplateSpec } from './pod-spec.js';

/** selector required, non-empty, well-formed and matching the template's labels; then the template. */
export function validateSelectorAndTemplate(
  selector: LabelSelector | undefined,
  template: PodTemplateSpec | undefined,
  what: string,
  field = 'spec',
): FieldError[] {
  const errs: FieldError[] = [];
  if (!selector) {
    errs.push(required(`${field}.selector`));
  } else {
    errs.push(...validateLabelSelector(selector, `${field}.selector`));
    if (isEmptySelector(selector)) {
      errs.push(
        invalidRendered(
          `${field}.selector`,
          formatSelector(selector),
          `empty selector is invalid for ${what}`,
        ),
      );
    }
  }
  if (!template) {
    errs.push(required(`${field}.template`));
    return errs;
  }
  if (selector && !isEmptySelector(selector) && !selectorMatches(selector, template.metadata?.labels)) {
    errs.push(
      invalidRendered(
        `${field}.template.metadata.labels`,
        formatStringMap(template.metadata?.labels),
        '`selector` does not match template `labels`',
      ),
    );
  }
  errs.push(...validatePodTemplateSpec(template, `${field}.template`));
  return errs;
}

/** Pods of long-running controllers must restart forever. */
function templateRestartsAlways(template: PodTemplateSpec | undefined, field: string): FieldError[] {
  const rp = template?.spec?.restartPolicy;
  return rp && rp !== 'Always' ? [notSupported(`${field}.template.spec.restartPolicy`, rp, ['Always'])] : [];
}

/** An int-or-percent that must be non-negative and, as a percent, at most 100%. */
export function validateIntOrPercent(field: string, v: IntOrString | undefined): FieldError[] {
  if (v === undefined) return [];
  if (typeof v === 'number') return nonNegative(field, v);
  if (!/^[0-9]+%$/.test(v)) return [invalidValue(field, v, percentError())];
  if (Number(v.slice(0, -1)) > 100) return [invalidValue(field, v, 'must not be greater than 100%')];
  return [];
}

function isZero(v: IntOrString | undefined): boolean {
  return v === undefined || v === 0 || (typeof v === 'string' && /^0+%$/.test(v));
}

function validateMaxUnavailableAndSurge(
  field: string,
  maxUnavailable: IntOrString | undefined,
  maxSurge: IntOrString | undefined,
): FieldError[] {
  const errs = [
    ...validateIntOrPercent(`${field}.maxUnavailable`, maxUnavailable),
    ...validateIntOrPercent(`${field}.maxSurge`, maxSurge),
  ];
  if (isZero(maxUnavailable) && isZero(maxSurge)) {
    errs.push(
      invalidValue(`${field}.maxUnavailable`, maxUnavailable ?? 0, 'may not be 0 when `maxSurge` is 0'),
    );
  }
  return errs;
}

export function validateDeployment(d: Deployment): FieldError[] {
  const s = d.spec;
  if (!s) return [required('spec')];
  const errs: FieldError[] = [];
  errs.push(...nonNegative('spec.replicas', s.replicas));
  errs.push(...validateSelectorAndTemplate(s.selector, s.template, 'deployment'));
  errs.push(...templateRestartsAlways(s.template, 'spec'));
  const strategy = s.strategy;
  if (strategy) {
    const type = strategy.type;
    if (type !== 'Recreate' && type !== 'RollingUpdate') {
      errs.push(
        type
          ? notSupported('spec.strategy.type', type, ['Recreate', 'RollingUpdate'])
          : required('spec.strategy.type'),
      );
    } else if (type === 'Recreate' && strategy.rollingUpdate) {
      errs.push(
        forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"),
      );
    } else if (type === 'RollingUpdate' && strategy.rollingUpdate) {
      errs.push(
        ...validateMaxUnavailableAndSurge(
          'spec.strategy.rollingUpdate',
          strategy.rollingUpdate.maxUnavailable,
          strategy.rollingUpdate.maxSurge,
        ),
      );
    }
  }
  errs.push(...nonNegative('spec.revisionHistoryLimit', s.revisionHistoryLimit));
  errs.push(...nonNegative('spec.minReadySeconds', s.minReadySeconds));
  errs.push(...nonNegative('spec.progressDeadlineSeconds', s.progressDeadlineSeconds));
  if (s.progressDeadlineSeconds !== undefined && s.progressDeadlineSeconds <= (s.minReadySeconds ?? 0)) {
    errs.push(
      invalidValue(
        'spec.progressDeadlineSeconds',
        s.progressDeadlineSeconds,
        'must be greater than minReadySeconds',
      ),
    );
  }
  return errs;
}

function selectorImmutable(next: LabelSelector | undefined, old: LabelSelector | undefined): FieldError[] {
  return deepEqual(next, old)
    ? []
    : [invalidRendered('spec.selector', formatSelector(next), 'field is immutable')];
}

export function validateDeploymentUpdate(next: Deployment, old: Deployment): FieldError[] {
  return selectorImmutable(next.spec?.selector, old.spec?.selector);
}

export function validateReplicaSet(rs: ReplicaSet): FieldError[] {
  const s = rs.spec;
  if (!s) return [required('spec')];
  return [
    ...nonNegative('spec.replicas', s.replicas),
    ...nonNegative('spec.minReadySeconds', s.minReadySeconds),
    ...validateSelectorAndTemplate(s.selector, s.template, 'deployment'),
    ...templateRestartsAlways(s.template, 'spec'),
  ];
}

export function validateReplicaSetUpdate(next: ReplicaSet, old: ReplicaSet): FieldError[] {
  return selectorImmutable(next.spec?.selector, old.spec?.selector);
}

export function validateDaemonSet(ds: DaemonSet): FieldError[] {
  const s = ds.spec;
  if (!s) return [required('spec')];
  const errs = [
    ...validateSelectorAndTemplate(s.selector, s.template, 'daemonset'),
    ...templateRestartsAlways(s.template, 'spec'),
    ...nonNegative('spec.minReadySeconds', s.minReadySeconds),
    ...nonNegative('spec.revisionHistoryLimit', s.revisionHistoryLimit),
  ];
  const us = s.updateStrategy;
  if (us) {
    if (us.type !== 'RollingUpdate' && us.type !== 'OnDelete') {
      errs.push(
        us.type
          ? notSupported('spec.updateStrategy.type', us.type, ['OnDelete', 'RollingUpdate'])
          : required('spec.updateStrategy.type'),
      );
    } else if (us.type === 'RollingUpdate') {
      if (!us.rollingUpdate) errs.push(required('spec.updateStrategy.rollingUpdate'));
      else {
        errs.push(
          ...validateMaxUnavailableAndSurge(
            'spec.updateStrategy.rollingUpdate',
            us.rollingUpdate.maxUnavailable,
            us.rollingUpdate.maxSurge,
          ),
        );
      }
    }
  }
  return errs;
}

export function validateDaemonSetUpdate(next: DaemonSet, old: DaemonSet): FieldError[] {
  return selectorImmutable(next.spec?.selector, old.spec?.selector);
}

const RETENTION = ['Retain', 'Delete'];

export function validateStatefulSet(sts: StatefulSet): FieldError[] {
  const s = sts.spec;
  if (!s) return [required('spec')];
  const errs = [
    ...nonNegative('spec.replicas', s.replicas),
    ...nonNegative('spec.minReadySeconds', s.minReadySeconds),
    ...nonNegative('spec.revisionHistoryLimit', s.revisionHistoryLimit),
    ...validateSelectorAndTemplate(s.selector, s.template, 'statefulset'),
    ...templateRestartsAlways(s.template, 'spec'),
  ];
  const pmp = s.podManagementPolicy;
  if (!pmp) errs.push(required('spec.podManagementPolicy', ''));
  else if (pmp !== 'OrderedReady' && pmp !== 'Parallel') {
    errs.push(invalidValue('spec.podManagementPolicy', pmp, "must be 'OrderedReady' or 'Parallel'"));
  }
  const us = s.updateStrategy;
  if (us) {
    if (us.type === 'OnDelete' && us.rollingUpdate) {
      errs.push(
        invalidValue(
          'spec.updateStrategy.rollingUpdate',
          us.rollingUpdate,
          "only allowed for updateStrategy 'RollingUpdate'",
        ),
      );
    } else if (us.type === 'RollingUpdate') {
      errs.push(...nonNegative('spec.updateStrategy.rollingUpdate.partition', us.rollingUpdate?.partition));
      const mu = us.rollingUpdate?.maxUnavailable;
      if (mu !== undefined) {
        errs.push(...validateIntOrPercent('spec.updateStrategy.rollingUpdate.maxUnavailable', mu));
        if (isZero(mu)) {
          errs.push(
            invalidValue('spec.updateStrategy.rollingUpdate.maxUnavailable', mu, 'must be greater than 0'),
          );
        }
      }
    } else if (us.type !== undefined) {
      errs.push(invalidValue('spec.updateStrategy', us.type, "must be 'RollingUpdate' or 'OnDelete'"));
    }
  }
  const pvc = s.persistentVolumeClaimRetentionPolicy;
  for (const k of ['whenDeleted', 'whenScaled'] as const) {
    const v = pvc?.[k];
    if (v !== undefined && !RETENTION.includes(v)) {
      errs.push(notSupported(`spec.persistentVolumeClaimRetentionPolicy.${k}`, v, RETENTION));
    }
  }
  (s.volumeClaimTemplates ?? []).forEach((t, i) => {
    if (!t.metadata?.name) errs.push(required(`spec.volumeClaimTemplates[${i}].metadata.name`));
  });
  if (s.ordinals?.start !== undefined) errs.push(...nonNegative('spec.ordinals.start', s.ordinals.start));
  return errs;
}

const STS_MUTABLE = [
  'replicas',
  'ordinals',
  'template',
  'updateStrategy',
  'revisionHistoryLimit',
  'persistentVolumeClaimRetentionPolicy',
  'minReadySeconds',
] as const;

export function validateStatefulSetUpdate(next: StatefulSet, old: StatefulSet): FieldError[] {
  const n: Record<string, unknown> = { ...(next.spec ?? {}) };
  const o: Record<string, unknown> = { ...(old.spec ?? {}) };
  for (const k of STS_MUTABLE) {
    delete n[k];
    delete o[k];
  }
  if (deepEqual(n, o)) return [];
  return [
    forbidden(
      'spec',
      "updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ),
  ];
}
