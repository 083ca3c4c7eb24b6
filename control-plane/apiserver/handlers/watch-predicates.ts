import type { KubeObject } from '../../../api/object.js';
import type { ResourceDef } from '../../../api/resources.js';
import { selectionPredicate } from '../selection.js';

type Predicate = (o: KubeObject) => boolean;

const MAX_ENTRIES = 512;

/**
 * One predicate function per (resource, name, label selector, field selector) of a watch. The
 * watch cache evaluates each distinct predicate once per change and shares the outcome between
 * the watchers holding it, so a thousand watches with one selector cost one evaluation.
 */
export class WatchPredicates {
  private readonly byKey = new Map<string, Predicate | undefined>();

  /** Throws as selectionPredicate does for selectors that do not parse or validate. */
  get(def: ResourceDef, name: string, labelSelector: string, fieldSelector: string): Predicate | undefined {
    const key = `${def.group}/${def.version}/${def.plural}\0${name}\0${labelSelector}\0${fieldSelector}`;
    if (this.byKey.has(key)) return this.byKey.get(key);
    const selected = selectionPredicate(def, labelSelector, fieldSelector);
    const predicate: Predicate | undefined = name
      ? (o) => o.metadata.name === name && (!selected || selected(o))
      : selected;
    if (this.byKey.size >= MAX_ENTRIES) {
      const oldest = this.byKey.keys().next().value;
      if (oldest !== undefined) this.byKey.delete(oldest);
    }
    this.byKey.set(key, predicate);
    return predicate;
  }
}
