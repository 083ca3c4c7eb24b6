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
  const resource = { group: def.group, kind: def.kind };
  const fields = fieldSelector
    ? validateFieldSelector(resource, parseFieldSelector(fieldSelector))
    : undefined;
  const useLabels = labels && !labels.empty;
  if (!useLabels && !fields) return undefined;
  return (obj) =>
    (!useLabels || labels.matches(obj.metadata.labels)) &&
    (!fields || fields.matches(fieldsOf(resource, obj)));
}
