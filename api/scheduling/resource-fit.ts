import type { Container, Pod, PodSpec } from 'kubernetes-types/core/v1.js';
import { tryParseQuantity } from '../quantity.js';

/** Resource amounts in the units the scheduler compares: millicores, bytes, whole units. */
export interface Resources {
  milliCPU: number;
  memory: number;
  ephemeralStorage: number;
  /** Extended and hugepages resources by name, in whole units. */
  scalar: Record<string, number>;
}

/** Requests of a container that sets none, as upstream's non-zero defaults (for scoring only). */
export const DEFAULT_MILLI_CPU_REQUEST = 100;
export const DEFAULT_MEMORY_REQUEST = 200 * 1024 * 1024;

type ResourceList = Record<string, string | number> | undefined;

export function emptyResources(): Resources {
  return { milliCPU: 0, memory: 0, ephemeralStorage: 0, scalar: {} };
}

/** Converts a core/v1 ResourceList into comparable numbers; `pods` and unparsable values are skipped. */
export function resourcesFromList(list: ResourceList): Resources {
  const r = emptyResources();
  if (!list) return r;
  for (const [name, raw] of Object.entries(list)) {
    const q = tryParseQuantity(raw);
    if (!q) continue;
    if (name === 'cpu') r.milliCPU = q.milliValue();
    else if (name === 'memory') r.memory = q.value();
    else if (name === 'ephemeral-storage') r.ephemeralStorage = q.value();
    else if (name !== 'pods') r.scalar[name] = q.value();
  }
  return r;
}

export function addResources(into: Resources, r: Resources, sign = 1): void {
  into.milliCPU += sign * r.milliCPU;
  into.memory += sign * r.memory;
  into.ephemeralStorage += sign * r.ephemeralStorage;
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = (into.scalar[k] ?? 0) + sign * v;
}

function maxInto(into: Resources, r: Resources): void {
  into.milliCPU = Math.max(into.milliCPU, r.milliCPU);
  into.memory = Math.max(into.memory, r.memory);
  into.ephemeralStorage = Math.max(into.ephemeralStorage, r.ephemeralStorage);
  for (const [k, v] of Object.entries(r.scalar)) into.scalar[k] = Math.max(into.scalar[k] ?? 0, v);
}

function containerRequests(c: Container, nonZero: boolean): Resources {
  const r = resourcesFromList(c.resources?.requests);
  if (nonZero) {
    const req = c.resources?.requests ?? {};
    if (req.cpu === undefined) r.milliCPU = DEFAULT_MILLI_CPU_REQUEST;
    if (req.memory === undefined) r.memory = DEFAULT_MEMORY_REQUEST;
  }
  return r;
}

/**
 * What a pod asks of a node, computed as upstream's PodRequests: the sum of the regular
 * containers (plus restartable init containers, which keep running), or the largest init
 * container step if bigger, plus the pod overhead. With `nonZero`, a container that requests no
 * cpu or memory counts as 100m / 200Mi, which is what scoring uses.
 */
export function podRequests(spec: PodSpec | Pod['spec'] | undefined, nonZero = false): Resources {
  const total = emptyResources();
  for (const c of spec?.containers ?? []) addResources(total, containerRequests(c, nonZero));
  const sidecars = emptyResources();
  const initMax = emptyResources();
  for (const c of spec?.initContainers ?? []) {
    const r = containerRequests(c, nonZero);
    if (c.restartPolicy === 'Always') {
      // A sidecar runs beside everything started after it.
      addResources(total, r);
      addResources(sidecars, r);
      maxInto(initMax, sidecars);
    } else {
      const step = emptyResources();
      addResources(step, sidecars);
      addResources(step, r);
      maxInto(initMax, step);
    }
  }
  maxInto(total, initMax);
  if (spec?.overhead) addResources(total, resourcesFromList(spec.overhead));
  return total;
}

export interface InsufficientResource {
  resource: string;
  reason: string;
  requested: number;
  used: number;
  capacity: number;
}

/**
 * The reasons a pod does not fit beside what a node already runs (upstream's Fits): too many
 * pods, then each requested resource beyond what is left of allocatable.
 */
export function insufficientResources(
  request: Resources,
  allocatable: Resources,
  allowedPods: number,
  requested: Resources,
  podCount: number,
): InsufficientResource[] {
  const out: InsufficientResource[] = [];
  if (podCount + 1 > allowedPods) {
    out.push({
      resource: 'pods',
      reason: 'Too many pods',
      requested: 1,
      used: podCount,
      capacity: allowedPods,
    });
  }
  const check = (resource: string, want: number, used: number, cap: number): void => {
    if (want > 0 && want > cap - used) {
      out.push({ resource, reason: `Insufficient ${resource}`, requested: want, used, capacity: cap });
    }
  };
  check('cpu', request.milliCPU, requested.milliCPU, allocatable.milliCPU);
  check('memory', request.memory, requested.memory, allocatable.memory);
  check(
    'ephemeral-storage',
    request.ephemeralStorage,
    requested.ephemeralStorage,
    allocatable.ephemeralStorage,
  );
  for (const [name, want] of Object.entries(request.scalar)) {
    check(name, want, requested.scalar[name] ?? 0, allocatable.scalar[name] ?? 0);
  }
  return out;
}
