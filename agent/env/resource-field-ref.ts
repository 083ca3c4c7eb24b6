import type { Container, Pod, ResourceFieldSelector } from 'kubernetes-types/core/v1.js';
import { parseQuantity, type Quantity } from '../../api/quantity.js';

/** What limits default to in the downward API when a container sets none (the node's allocatable). */
export type Allocatable = Partial<Record<'cpu' | 'memory' | 'ephemeral-storage', Quantity>>;

export class ResourceFieldError extends Error {}

const ZERO = parseQuantity('0');
const ONE = parseQuantity('1');

function findContainer(pod: Pod, name: string): Container | undefined {
  return [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])].find((c) => c.name === name);
}

function quantityOf(v: string | number | undefined): Quantity | undefined {
  return v === undefined ? undefined : parseQuantity(v);
}

function ceilDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a > 0n === b > 0n ? q + 1n : q;
}

/**
 * The value of a resourceFieldRef as upstream's downward API computes it: cpu in whole divisor
 * units rounded up from millicores, memory and ephemeral-storage (and hugepages) in divisor units
 * rounded up from bytes. Unset limits are the node's allocatable; unset requests are the limits
 * given, else 0. `containerName` is used when the ref names none (env of that container).
 */
export function containerResourceValue(
  pod: Pod,
  ref: ResourceFieldSelector,
  containerName: string | undefined,
  allocatable: Allocatable,
): string {
  const name = ref.containerName || containerName || '';
  const c = findContainer(pod, name);
  if (!c) throw new ResourceFieldError(`container ${name} not found`);
  const dot = ref.resource.indexOf('.');
  const kind = ref.resource.slice(0, dot);
  const resource = ref.resource.slice(dot + 1);
  const supported =
    ['cpu', 'memory', 'ephemeral-storage'].includes(resource) || resource.startsWith('hugepages-');
  if (dot < 0 || (kind !== 'limits' && kind !== 'requests') || !supported)
    throw new ResourceFieldError(`unsupported container resource : ${ref.resource}`);
  const limits = c.resources?.limits ?? {};
  const requests = c.resources?.requests ?? {};
  let q: Quantity;
  if (kind === 'limits')
    q = quantityOf(limits[resource]) ?? allocatable[resource as keyof Allocatable] ?? ZERO;
  else q = quantityOf(requests[resource]) ?? quantityOf(limits[resource]) ?? ZERO;
  let divisor = quantityOf(ref.divisor) ?? ONE;
  if (divisor.isZero()) divisor = ONE;
  if (resource === 'cpu') return String(ceilDiv(BigInt(q.milliValue()), BigInt(divisor.milliValue())));
  return String(ceilDiv(BigInt(q.value()), BigInt(divisor.value())));
}
