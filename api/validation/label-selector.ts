import type { LabelSelector } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../errors.js';
import { labelSelectorFromObject } from '../labels.js';
import { forbidden, invalidValue, required } from './field-errors.js';
import { isQualifiedName } from './name-rules.js';
import { validateLabels } from './object-meta.js';

/** Upstream's ValidateLabelSelector: matchLabels syntax and well-formed matchExpressions. */
export function validateLabelSelector(sel: LabelSelector | undefined, field: string): FieldError[] {
  if (!sel) return [];
  const errs = validateLabels(sel.matchLabels, `${field}.matchLabels`);
  (sel.matchExpressions ?? []).forEach((req, i) => {
    const p = `${field}.matchExpressions[${i}]`;
    switch (req.operator) {
      case 'In':
      case 'NotIn':
        if (!req.values || req.values.length === 0) {
          errs.push(required(`${p}.values`, "must be specified when `operator` is 'In' or 'NotIn'"));
        }
        break;
      case 'Exists':
      case 'DoesNotExist':
        if (req.values && req.values.length > 0) {
          errs.push(
            forbidden(`${p}.values`, "may not be specified when `operator` is 'Exists' or 'DoesNotExist'"),
          );
        }
        break;
      default:
        errs.push(invalidValue(`${p}.operator`, req.operator, 'not a valid selector operator'));
    }
    for (const m of isQualifiedName(req.key ?? '')) errs.push(invalidValue(`${p}.key`, req.key, m));
  });
  return errs;
}

export function isEmptySelector(sel: LabelSelector): boolean {
  return Object.keys(sel.matchLabels ?? {}).length === 0 && (sel.matchExpressions ?? []).length === 0;
}

/** Whether a label set satisfies a selector (an empty selector matches everything; an invalid one nothing). */
export function selectorMatches(sel: LabelSelector, labels: Record<string, string> | undefined): boolean {
  try {
    return labelSelectorFromObject(sel).matches(labels);
  } catch {
    return false;
  }
}

/** A Go-like rendering of a selector for messages: `v1.LabelSelector{MatchLabels:map[string]string{...}}`. */
export function formatSelector(sel: LabelSelector | undefined): string {
  if (!sel) return 'null';
  const labels = Object.keys(sel.matchLabels ?? {})
    .sort()
    .map((k) => `${JSON.stringify(k)}:${JSON.stringify(sel.matchLabels?.[k])}`)
    .join(', ');
  const exprs = (sel.matchExpressions ?? []).length;
  return `v1.LabelSelector{MatchLabels:map[string]string{${labels}}, MatchExpressions:[]v1.LabelSelectorRequirement${exprs === 0 ? '(nil)' : `{...${exprs}}`}}`;
}
