import type { PodFailurePolicy, PodFailurePolicyOnExitCodesRequirement } from 'kubernetes-types/batch/v1.js';
import type { ContainerStatus, PodStatus } from 'kubernetes-types/core/v1.js';
import type { PodObject } from './replicaset-controller.js';

export type PodFailureAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

/** What a failed pod means under a job's podFailurePolicy, as upstream's matchPodFailurePolicy. */
export interface PodFailureMatch {
  /** Set when a FailJob rule matched: the job failure message. */
  failJobMessage?: string;
  /** False only for Ignore: the failure does not count against backoffLimit(PerIndex). */
  countFailed: boolean;
  /** The matched rule's action; undefined when no rule matched (counts as default). */
  action?: PodFailureAction;
}

function exitCodeMatches(code: number, req: PodFailurePolicyOnExitCodesRequirement): boolean {
  if (req.operator === 'In') return req.values.includes(code);
  if (req.operator === 'NotIn') return !req.values.includes(code);
  return false;
}

/** The first terminated container with a non-zero exit code the requirement matches. */
function matchingContainer(
  statuses: ContainerStatus[] | undefined,
  req: PodFailurePolicyOnExitCodesRequirement,
): ContainerStatus | undefined {
  return (statuses ?? []).find((cs) => {
    const code = cs.state?.terminated?.exitCode;
    if (code === undefined || code === 0) return false;
    if (req.containerName && req.containerName !== cs.name) return false;
    return exitCodeMatches(code, req);
  });
}

function matchOnExitCodes(
  status: PodStatus | undefined,
  req: PodFailurePolicyOnExitCodesRequirement,
): ContainerStatus | undefined {
  return (
    matchingContainer(status?.containerStatuses, req) ?? matchingContainer(status?.initContainerStatuses, req)
  );
}

/** Rules are tried in order; the first one matching decides. */
export function matchPodFailurePolicy(policy: PodFailurePolicy | undefined, pod: PodObject): PodFailureMatch {
  if (!policy) return { countFailed: true };
  const ns = pod.metadata.namespace ?? '';
  const name = pod.metadata.name ?? '';
  for (const [index, rule] of (policy.rules ?? []).entries()) {
    const action = rule.action as PodFailureAction;
    let failJobMessage: string | undefined;
    if (rule.onExitCodes) {
      const cs = matchOnExitCodes(pod.status, rule.onExitCodes);
      if (!cs) continue;
      failJobMessage = `Container ${cs.name} for pod ${ns}/${name} failed with exit code ${cs.state?.terminated?.exitCode} matching ${action} rule at index ${index}`;
    } else if (rule.onPodConditions) {
      const cond = (pod.status?.conditions ?? []).find((c) =>
        (rule.onPodConditions ?? []).some((p) => p.type === c.type && (p.status ?? 'True') === c.status),
      );
      if (!cond) continue;
      failJobMessage = `Pod ${ns}/${name} has condition ${cond.type} matching ${action} rule at index ${index}`;
    } else {
      continue;
    }
    switch (action) {
      case 'Ignore':
        return { countFailed: false, action };
      case 'FailIndex':
      case 'Count':
        return { countFailed: true, action };
      case 'FailJob':
        return { failJobMessage, countFailed: true, action };
      default:
        // An unknown action falls through to the next rule, as upstream's switch does.
        continue;
    }
  }
  return { countFailed: true };
}
