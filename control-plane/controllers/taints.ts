import type { Taint, Toleration } from 'kubernetes-types/core/v1.js';

export const UNREACHABLE_TAINT = 'node.kubernetes.io/unreachable';
export const NOT_READY_TAINT = 'node.kubernetes.io/not-ready';

/** What upstream's DefaultTolerationSeconds admission gives pods for the two node taints. */
export const DEFAULT_TOLERATION_SECONDS = 300;

/** Whether `t` tolerates `taint` (upstream's ToleratesTaint). */
export function tolerates(t: Toleration, taint: Taint): boolean {
  if (t.effect && t.effect !== taint.effect) return false;
  if (t.key && t.key !== taint.key) return false;
  if (!t.key && t.operator !== 'Exists') return false;
  if (t.operator === 'Exists') return true;
  return (t.value ?? '') === (taint.value ?? '');
}

/**
 * How long (ms) a pod may stay on a node with these NoExecute taints: 0 when a taint is not
 * tolerated, Infinity when every taint is tolerated forever, else the smallest tolerationSeconds.
 * A pod without a toleration for the not-ready/unreachable taints gets the 300 s default, as the
 * admission plugin would have given it.
 */
export function toleratedForMs(tolerations: readonly Toleration[], taints: readonly Taint[]): number {
  let allowed = Number.POSITIVE_INFINITY;
  for (const taint of taints) {
    if (taint.effect !== 'NoExecute') continue;
    const matching = tolerations.filter((t) => tolerates(t, taint));
    if (matching.length === 0) {
      if (taint.key === UNREACHABLE_TAINT || taint.key === NOT_READY_TAINT) {
        allowed = Math.min(allowed, DEFAULT_TOLERATION_SECONDS * 1000);
        continue;
      }
      return 0;
    }
    for (const t of matching) {
      if (t.tolerationSeconds !== undefined && t.tolerationSeconds !== null) {
        allowed = Math.min(allowed, Math.max(0, t.tolerationSeconds) * 1000);
      }
    }
  }
  return allowed;
}
