/** One group/version/kind, as carried by `x-kubernetes-group-version-kind`. */
export interface GroupVersionKind {
  group: string;
  version: string;
  kind: string;
}

/**
 * The subset of an OpenAPI schema object that Kubernetes definitions use. The same shape serves
 * Swagger 2.0 (`#/definitions/...` refs) and OpenAPI 3.0 (`#/components/schemas/...` refs).
 */
export interface Schema {
  type?: 'object' | 'array' | 'string' | 'integer' | 'number' | 'boolean';
  format?: string;
  description?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  $ref?: string;
  allOf?: Schema[];
  default?: unknown;
  enum?: unknown[];
  /** OpenAPI 3.0 only; Swagger 2.0 has no equivalent and drops it. */
  nullable?: boolean;
  /** OpenAPI 3.0 only; Swagger 2.0 has no equivalent and drops it. */
  oneOf?: Schema[];
  /** OpenAPI 3.0 only; Swagger 2.0 has no equivalent and drops it. */
  anyOf?: Schema[];
  'x-kubernetes-group-version-kind'?: GroupVersionKind[];
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-list-type'?: string;
  'x-kubernetes-list-map-keys'?: string[];
}

/** Definitions keyed like upstream: `io.k8s.api.core.v1.Pod`. */
export type Definitions = Record<string, Schema>;

export const DEFINITIONS_REF_PREFIX = '#/definitions/';
export const COMPONENTS_REF_PREFIX = '#/components/schemas/';

/** The definition name a `$ref` points at, whichever document style it uses. */
export function refName(ref: string): string {
  const slash = ref.lastIndexOf('/');
  return slash < 0 ? ref : ref.slice(slash + 1);
}
