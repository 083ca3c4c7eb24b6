import type { Namespace, Node } from 'kubernetes-types/core/v1.js';
import type { PriorityClass } from 'kubernetes-types/scheduling/v1.js';
import type { FieldError } from '../errors.js';
import { forbidden, invalidValue, notSupported, required } from './field-errors.js';
import { isQualifiedName, isValidCidr, isValidLabelValue } from './name-rules.js';

export function validateNamespace(ns: Namespace): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ns.spec?.finalizers ?? []) {
    for (const m of isQualifiedName(f)) errs.push(invalidValue('spec.finalizers', f, m));
  }
  const phase = ns.status?.phase;
  if (phase !== undefined && phase !== 'Active' && phase !== 'Terminating') {
    errs.push(notSupported('status.phase', phase, ['Active', 'Terminating']));
  }
  return errs;
}

const TAINT_EFFECTS = ['NoExecute', 'NoSchedule', 'PreferNoSchedule'];

export function validateNode(node: Node): FieldError[] {
  const errs: FieldError[] = [];
  const s = node.spec ?? {};
  const cidrs = s.podCIDRs ?? (s.podCIDR ? [s.podCIDR] : []);
  cidrs.forEach((c, i) => {
    for (const m of isValidCidr(c)) errs.push(invalidValue(`spec.podCIDRs[${i}]`, c, m));
  });
  if (s.podCIDR && s.podCIDRs && s.podCIDRs.length > 0 && s.podCIDRs[0] !== s.podCIDR) {
    errs.push(invalidValue('spec.podCIDRs', s.podCIDRs, 'must have the same value as spec.podCIDR'));
  }
  const seen = new Set<string>();
  (s.taints ?? []).forEach((t, i) => {
    const f = `spec.taints[${i}]`;
    if (!t.key) errs.push(required(`${f}.key`));
    else for (const m of isQualifiedName(t.key)) errs.push(invalidValue(`${f}.key`, t.key, m));
    if (t.value)
      for (const m of isValidLabelValue(t.value)) errs.push(invalidValue(`${f}.value`, t.value, m));
    if (!t.effect) errs.push(required(`${f}.effect`));
    else if (!TAINT_EFFECTS.includes(t.effect))
      errs.push(notSupported(`${f}.effect`, t.effect, TAINT_EFFECTS));
    const id = `${t.key}:${t.effect}`;
    if (seen.has(id)) {
      errs.push(invalidValue(f, t.key, 'taints must be unique by key and effect pair'));
    }
    seen.add(id);
  });
  return errs;
}

export function validateNodeUpdate(next: Node, old: Node): FieldError[] {
  const errs: FieldError[] = [];
  const o = old.spec ?? {};
  const n = next.spec ?? {};
  // podCIDR can be set once (by the IPAM controller), never changed.
  if (o.podCIDR && n.podCIDR !== o.podCIDR) {
    errs.push(forbidden('spec.podCIDR', 'podCIDR can not be changed once set'));
  }
  if (
    o.podCIDRs &&
    o.podCIDRs.length > 0 &&
    JSON.stringify(n.podCIDRs ?? []) !== JSON.stringify(o.podCIDRs)
  ) {
    errs.push(forbidden('spec.podCIDRs', 'node updates may not change podCIDR except from "" to valid'));
  }
  if (o.providerID && n.providerID !== o.providerID) {
    errs.push(forbidden('spec.providerID', 'node updates may not change providerID except from "" to valid'));
  }
  return errs;
}

const HIGHEST_USER_PRIORITY = 1_000_000_000;
const SYSTEM_PRIORITY_CLASSES: Record<string, number> = {
  'system-node-critical': 2_000_001_000,
  'system-cluster-critical': 2_000_000_000,
};
const PREEMPTION_POLICIES = ['Never', 'PreemptLowerPriority'];

export function validatePriorityClass(pc: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  const name = pc.metadata?.name ?? '';
  if (name.startsWith('system-')) {
    const expected = SYSTEM_PRIORITY_CLASSES[name];
    if (expected === undefined) {
      errs.push(
        invalidValue('metadata.name', name, "priority class names with 'system-' prefix are reserved"),
      );
    } else if (pc.value !== expected) {
      errs.push(invalidValue('value', pc.value, `value of ${name} PriorityClass must be ${expected}`));
    }
  } else if (pc.value > HIGHEST_USER_PRIORITY) {
    errs.push(
      forbidden('value', `maximum allowed value of a user defined priority is ${HIGHEST_USER_PRIORITY}`),
    );
  }
  if (pc.preemptionPolicy !== undefined && !PREEMPTION_POLICIES.includes(pc.preemptionPolicy)) {
    errs.push(notSupported('preemptionPolicy', pc.preemptionPolicy, PREEMPTION_POLICIES));
  }
  return errs;
}

export function validatePriorityClassUpdate(next: PriorityClass, old: PriorityClass): FieldError[] {
  const errs: FieldError[] = [];
  if (next.value !== old.value) errs.push(forbidden('value', 'may not be changed in an update.'));
  if (next.preemptionPolicy !== old.preemptionPolicy) {
    errs.push(invalidValue('preemptionPolicy', next.preemptionPolicy ?? null, 'field is immutable'));
  }
  return errs;
}
