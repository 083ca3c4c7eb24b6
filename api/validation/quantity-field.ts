import type { FieldError } from '../errors.js';
import { parseQuantity, type Quantity, QuantityError } from '../quantity.js';
import { invalidValue } from './field-errors.js';

/**
 * Reads a resource quantity at `field`, pushing upstream's errors for text that is not a quantity
 * or for a negative amount. Returns the quantity when it may be used further.
 */
export function readQuantity(field: string, raw: unknown, errs: FieldError[]): Quantity | undefined {
  let q: Quantity;
  try {
    q = parseQuantity(raw as string | number);
  } catch (e) {
    if (!(e instanceof QuantityError)) throw e;
    errs.push(invalidValue(field, raw, e.message));
    return undefined;
  }
  if (q.sign() < 0) {
    errs.push(invalidValue(field, q.toString(), 'must be greater than or equal to 0'));
    return undefined;
  }
  return q;
}
