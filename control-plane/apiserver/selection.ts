import { fieldsOf, parseFieldSelector, validateFieldSelector } from '../../api/fields.js';
import { parseLabelSelector } from '../../api/labels.js';
import type { KubeObject } from '../../api/object.js';
import type { ResourceDef } from '../../api/resources.js';

/** The in-memory predicate of a list/watch from its label and field selectors, or undefined for "all". */
export function selectionPredicate(
  def: ResourceDef,
  labelSelector: string,
  fieldSelector: string,
): ((obj: KubeObject) => boolean) | undefined {
  const labels = labelSelector ? parseLabelSelector(labelSelector) : undefined;
  const fields = fieldSelector ? parseFieldSelector(fieldSelector) : undefined;
  if (fields) validateFieldSelector({ group: def.group, kind: def.kind }, fields);
  const useLabels = labels && !labels.empty;
  if (!useLabels && !fields) return undefined;
  return (obj) =>
    (!useLabels || labels.matches(obj.metadata.labels)) &&
    (!fields || fields.matches(fieldsOf({ group: def.group, kind: def.kind }, obj)));
}
