import type { Pod, PodSpec, Toleration } from 'kubernetes-types/core/v1.js';
import { defaultPodSpec } from '../defaults/pod-defaults.js';
import type { FieldError } from '../errors.js';
import { deepEqual, forbidden, invalidValue, required } from './field-errors.js';
import { validatePodSpec } from './pod-spec.js';

export function validatePod(pod: Pod): FieldError[] {
  return validatePodSpec(pod.spec, 'spec');
}

const UPDATABLE_POD_SPEC_FIELDS = [
  '`spec.containers[*].image`',
  '`spec.initContainers[*].image`',
  '`spec.activeDeadlineSeconds`',
  '`spec.tolerations` (only additions to existing tolerations)',
  '`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
];

function tolerationsOnlyAdded(next: Toleration[] | undefined, old: Toleration[] | undefined): boolean {
  return (old ?? []).every((o) => (next ?? []).some((n) => deepEqual(n, o)));
}

/**
 * Upstream's ValidatePodUpdate: a pod's spec is fixed once created except for a few fields. The
 * new spec is copied over the old one's updatable fields; anything else that differs is refused.
 */
export function validatePodUpdate(next: Pod, old: Pod): FieldError[] {
  const errs: FieldError[] = [];
  const ns = next.spec;
  const os = old.spec;
  if (!ns || !os) return ns ? [] : [required('spec')];

  (ns.containers ?? []).forEach((c, i) => {
    if (!c.image) errs.push(required(`spec.containers[${i}].image`));
  });
  (ns.initContainers ?? []).forEach((c, i) => {
    if (!c.image) errs.push(required(`spec.initContainers[${i}].image`));
  });
  if (os.activeDeadlineSeconds !== undefined) {
    if (ns.activeDeadlineSeconds === undefined) {
      errs.push(
        invalidValue(
          'spec.activeDeadlineSeconds',
          null,
          'must not update from a positive integer to nil value',
        ),
      );
    } else if (ns.activeDeadlineSeconds > os.activeDeadlineSeconds) {
      errs.push(
        invalidValue(
          'spec.activeDeadlineSeconds',
          ns.activeDeadlineSeconds,
          'must be less than or equal to previous value',
        ),
      );
    }
  }

  // Defaults the old spec may lack (stored by an older version) are no change by the client.
  const munged: PodSpec = structuredClone(os);
  defaultPodSpec(munged, true);
  munged.containers = (munged.containers ?? []).map((c, i) => {
    const n = ns.containers?.[i];
    return n ? { ...c, image: n.image } : c;
  });
  if (munged.initContainers) {
    munged.initContainers = munged.initContainers.map((c, i) => {
      const n = ns.initContainers?.[i];
      return n ? { ...c, image: n.image } : c;
    });
  }
  setOrDelete(munged, 'activeDeadlineSeconds', ns.activeDeadlineSeconds);
  if (tolerationsOnlyAdded(ns.tolerations, os.tolerations))
    setOrDelete(munged, 'tolerations', ns.tolerations);
  if ((os.terminationGracePeriodSeconds ?? 0) < 0 && ns.terminationGracePeriodSeconds === 1) {
    munged.terminationGracePeriodSeconds = 1;
  }
  // Scheduling gates may only be removed.
  const oldGates = os.schedulingGates ?? [];
  if ((ns.schedulingGates ?? []).every((g) => oldGates.some((o) => o.name === g.name))) {
    setOrDelete(munged, 'schedulingGates', ns.schedulingGates);
  }
  // Binding sets nodeName once; the server's binding path reuses update validation.
  if (!os.nodeName && ns.nodeName) munged.nodeName = ns.nodeName;

  if (!deepEqual(munged, ns)) {
    errs.push(
      forbidden(
        'spec',
        `pod updates may not change fields other than ${UPDATABLE_POD_SPEC_FIELDS.join(',')}\n${specDiff(munged, ns)}`,
      ),
    );
  }
  return errs;
}

function setOrDelete<K extends keyof PodSpec>(spec: PodSpec, key: K, value: PodSpec[K] | undefined): void {
  if (value === undefined) delete spec[key];
  else spec[key] = value;
}

/** A short line per top-level field that differs, in place of upstream's cmp.Diff output. */
function specDiff(old: PodSpec, next: PodSpec): string {
  const o = old as unknown as Record<string, unknown>;
  const n = next as unknown as Record<string, unknown>;
  const keys = [...new Set([...Object.keys(o), ...Object.keys(n)])].sort();
  const lines: string[] = ['  core.PodSpec{'];
  for (const k of keys) {
    if (deepEqual(o[k], n[k])) continue;
    if (o[k] !== undefined) lines.push(`-\t${k}: ${JSON.stringify(o[k])},`);
    if (n[k] !== undefined) lines.push(`+\t${k}: ${JSON.stringify(n[k])},`);
  }
  lines.push('  }');
  return lines.join('\n');
}
