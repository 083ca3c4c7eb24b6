import type { Pod, Service, ServicePort } from 'kubernetes-types/core/v1.js';
import { labelSelectorFromSet } from '../../api/labels.js';
import type { Store } from '../../client/index.js';
import type { PodObject } from './replicaset-controller.js';

export const TRIGGER_TIME_ANNOTATION = 'endpoints.kubernetes.io/last-change-trigger-time';

/**
 * The container port a service port sends to on `pod`: a number as is, a name looked up among
 * the pod's container ports of the same protocol (undefined when the pod has no such port).
 */
export function findPort(pod: Pod, port: ServicePort): number | undefined {
  const target = port.targetPort ?? port.port;
  if (typeof target === 'number') return target;
  const asNumber = Number(target);
  if (/^\d+$/.test(target) && Number.isInteger(asNumber)) return asNumber;
  const protocol = port.protocol ?? 'TCP';
  for (const c of pod.spec?.containers ?? []) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** Pods in the service's namespace its selector matches (a service without selector: none). */
export function podsForService(svc: Service, pods: Store<PodObject>): PodObject[] {
  const sel = svc.spec?.selector;
  if (!sel) return [];
  const matcher = labelSelectorFromSet(sel);
  return pods
    .byIndex('namespace', svc.metadata?.namespace ?? '')
    .filter((p) => matcher.matches(p.metadata.labels));
}

function time(text: string | undefined): number {
  const t = text ? Date.parse(text) : Number.NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * When the state the endpoints reflect last changed: the latest of the service's creation and,
 * for each pod, its creation, deletion start and last condition transition. The proxy measures
 * network programming latency from it.
 */
export function lastChangeTriggerTime(svc: Service, pods: readonly Pod[]): string | undefined {
  let latest = time(svc.metadata?.creationTimestamp);
  for (const p of pods) {
    latest = Math.max(latest, time(p.metadata?.creationTimestamp), time(p.metadata?.deletionTimestamp));
    for (const c of p.status?.conditions ?? []) latest = Math.max(latest, time(c.lastTransitionTime));
  }
  return latest > 0 ? new Date(latest).toISOString() : undefined;
}

/** A pod with an IP that has not finished. */
export function hasAddress(pod: Pod): boolean {
  const phase = pod.status?.phase;
  return Boolean(pod.status?.podIP) && phase !== 'Succeeded' && phase !== 'Failed';
}
