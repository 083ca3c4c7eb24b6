import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

/** Whether one toleration tolerates one taint, as upstream's ToleratesTaint. */
export function toleratesTaint(toleration: Toleration, taint: Taint): boolean {
  if (toleration.effect && toleration.effect !== taint.effect) return false;
  if (toleration.key && toleration.key !== taint.key) return false;
  switch (toleration.operator ?? 'Equal') {
    case 'Exists':
      return true;
    case 'Equal':
      // An empty key with Equal would be invalid; treat it as matching nothing.
      return !!toleration.key && (toleration.value ?? '') === (taint.value ?? '');
    default:
      return false;
  }
}

export function taintTolerated(taint: Taint, tolerations: readonly Toleration[] | undefined): boolean {
  return (tolerations ?? []).some((t) => toleratesTaint(t, taint));
}

/** The first taint accepted by `filter` that no toleration tolerates. */
export function findUntoleratedTaint(
  taints: readonly Taint[] | undefined,
  tolerations: readonly Toleration[] | undefined,
  filter: (t: Taint) => boolean = () => true,
): Taint | undefined {
  for (const taint of taints ?? []) {
    if (filter(taint) && !taintTolerated(taint, tolerations)) return taint;
  }
  return undefined;
}

/** The taints the scheduler must respect: NoSchedule and NoExecute. */
export function isSchedulingTaint(t: Taint): boolean {
  return t.effect === 'NoSchedule' || t.effect === 'NoExecute';
}
