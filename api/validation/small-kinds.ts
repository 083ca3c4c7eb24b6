import type { ControllerRevision } from 'kubernetes-types/apps/v1.js';
import type { Lease } from 'kubernetes-types/coordination/v1.js';
import type { LimitRange, PodTemplate, ResourceQuota } from 'kubernetes-types/core/v1.js';
import type { FieldError } from '../errors.js';
import { immutable, nonNegative, notSupported, positive, required } from './field-errors.js';
import { validatePodTemplateSpec } from './pod-spec.js';
import { readQuantity } from './quantity-field.js';

export function validateLease(lease: Lease): FieldError[] {
  const s = lease.spec ?? {};
  return [
    ...positive('spec.leaseDurationSeconds', s.leaseDurationSeconds),
    ...nonNegative('spec.leaseTransitions', s.leaseTransitions),
  ];
}

export function validatePodTemplate(pt: PodTemplate): FieldError[] {
  return validatePodTemplateSpec(pt.template, 'template');
}

export function validateControllerRevision(cr: ControllerRevision): FieldError[] {
  const errs = nonNegative('revision', cr.revision);
  if (cr.data === undefined) errs.push(required('data'));
  return errs;
}

export function validateControllerRevisionUpdate(
  next: ControllerRevision,
  old: ControllerRevision,
): FieldError[] {
  return immutable('data', next.data, old.data);
}

function quantities(field: string, list: Record<string, unknown> | undefined): FieldError[] {
  const errs: FieldError[] = [];
  for (const [name, raw] of Object.entries(list ?? {})) readQuantity(`${field}[${name}]`, raw, errs);
  return errs;
}

const LIMIT_TYPES = ['Container', 'PersistentVolumeClaim', 'Pod'];

export function validateLimitRange(lr: LimitRange): FieldError[] {
  const errs: FieldError[] = [];
  (lr.spec?.limits ?? []).forEach((l, i) => {
    const f = `spec.limits[${i}]`;
    if (!l.type) errs.push(required(`${f}.type`));
    else if (!LIMIT_TYPES.includes(l.type)) errs.push(notSupported(`${f}.type`, l.type, LIMIT_TYPES));
    for (const k of ['max', 'min', 'default', 'defaultRequest', 'maxLimitRequestRatio'] as const) {
      errs.push(...quantities(`${f}.${k}`, l[k]));
    }
  });
  return errs;
}

export function validateResourceQuota(rq: ResourceQuota): FieldError[] {
  return quantities('spec.hard', rq.spec?.hard);
}
