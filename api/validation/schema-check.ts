import { ControllerRevision } from 'kubernetes-models/apps/v1/ControllerRevision';
import { DaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ReplicaSet } from 'kubernetes-models/apps/v1/ReplicaSet';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { CronJob } from 'kubernetes-models/batch/v1/CronJob';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { Lease } from 'kubernetes-models/coordination.k8s.io/v1/Lease';
import { EndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import { Event as EventsEvent } from 'kubernetes-models/events.k8s.io/v1/Event';
import { PriorityClass } from 'kubernetes-models/scheduling.k8s.io/v1/PriorityClass';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Endpoints } from 'kubernetes-models/v1/Endpoints';
import { Event } from 'kubernetes-models/v1/Event';
import { LimitRange } from 'kubernetes-models/v1/LimitRange';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Node } from 'kubernetes-models/v1/Node';
import { Pod } from 'kubernetes-models/v1/Pod';
import { PodTemplate } from 'kubernetes-models/v1/PodTemplate';
import { ResourceQuota } from 'kubernetes-models/v1/ResourceQuota';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { FieldError } from '../errors.js';
import type { KubeObject } from '../object.js';
import { invalidValue, notSupported } from './field-errors.js';

/**
 * Type checks against the OpenAPI schemas that kubernetes-models ships as compiled ajv validators:
 * a string where an integer belongs, an object where a list belongs, and so on. The semantic
 * validators assume well-typed input, so these run first.
 */

type Validatable = { validate(): void };
type ModelClass = new (data: never) => Validatable;

const MODELS: Record<string, ModelClass> = {
  'v1/Namespace': Namespace,
  'v1/Pod': Pod,
  'v1/Node': Node,
  'v1/Service': Service,
  'v1/Endpoints': Endpoints,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/ServiceAccount': ServiceAccount,
  'v1/Event': Event,
  'v1/LimitRange': LimitRange,
  'v1/ResourceQuota': ResourceQuota,
  'v1/PodTemplate': PodTemplate,
  'apps/v1/Deployment': Deployment,
  'apps/v1/ReplicaSet': ReplicaSet,
  'apps/v1/DaemonSet': DaemonSet,
  'apps/v1/StatefulSet': StatefulSet,
  'apps/v1/ControllerRevision': ControllerRevision,
  'batch/v1/Job': Job,
  'batch/v1/CronJob': CronJob,
  'discovery.k8s.io/v1/EndpointSlice': EndpointSlice,
  'coordination.k8s.io/v1/Lease': Lease,
  'events.k8s.io/v1/Event': EventsEvent,
  'scheduling.k8s.io/v1/PriorityClass': PriorityClass,
};

interface AjvError {
  instancePath: string;
  keyword: string;
  params?: Record<string, unknown>;
  message?: string;
}

function decodePointer(pointer: string): string[] {
  if (!pointer) return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** `/spec/containers/0/ports/0` → `spec.containers[0].ports[0]`. */
export function pointerToField(pointer: string): string {
  let out = '';
  for (const seg of decodePointer(pointer)) {
    if (/^\d+$/.test(seg)) out += `[${seg}]`;
    else out += out ? `.${seg}` : seg;
  }
  return out;
}

function valueAt(obj: unknown, pointer: string): unknown {
  let cur = obj;
  for (const seg of decodePointer(pointer)) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function describeValue(v: unknown): unknown {
  if (v !== null && typeof v === 'object') return Array.isArray(v) ? 'array' : 'object';
  return v;
}

export interface SchemaResult {
  /** Wrong types, formats and shapes: the object cannot be read as its kind. */
  typeErrors: FieldError[];
  /** Enum misses: used where no semantic rule spoke about the field. */
  soft: FieldError[];
}

export function schemaCheck(group: string, version: string, kind: string, obj: KubeObject): SchemaResult {
  const result: SchemaResult = { typeErrors: [], soft: [] };
  const Model = MODELS[`${group ? `${group}/` : ''}${version}/${kind}`];
  if (!Model) return result;
  try {
    new Model(obj as never).validate();
  } catch (e) {
    const errors = (e as { errors?: AjvError[] }).errors;
    if (!Array.isArray(errors)) throw e;
    const byPath = new Map<string, AjvError[]>();
    for (const err of errors) {
      const list = byPath.get(err.instancePath) ?? [];
      list.push(err);
      byPath.set(err.instancePath, list);
    }
    for (const [pointer, list] of byPath) classify(obj, pointer, list, result);
  }
  return result;
}

/**
 * Sorts one path's errors. For int-or-string and quantity fields (a oneOf of types), a value of
 * one of the types that fails only its format is left to the semantic rules, which word it better.
 */
function classify(obj: KubeObject, pointer: string, list: AjvError[], out: SchemaResult): void {
  const field = pointerToField(pointer);
  const value = valueAt(obj, pointer);
  const union = list.some((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf');
  if (union) {
    const types = list.filter((e) => e.keyword === 'type').map((e) => String(e.params?.type));
    const otherBranchFailures = list.filter((e) => !['type', 'oneOf', 'anyOf'].includes(e.keyword));
    if (otherBranchFailures.length === 0) {
      out.typeErrors.push(
        invalidValue(field, describeValue(value), `must be ${[...new Set(types)].join(' or ')}`),
      );
    }
    return;
  }
  for (const err of list) {
    // The OpenAPI required lists mirror Go's non-omitempty fields, which upstream decodes as
    // empty values, not as errors; the semantic rules say what is really required.
    if (err.keyword === 'required') continue;
    if (err.keyword === 'enum') {
      const allowed = Array.isArray(err.params?.allowedValues)
        ? (err.params.allowedValues as unknown[]).map(String)
        : [];
      out.soft.push(notSupported(field, value, allowed));
    } else {
      out.typeErrors.push(invalidValue(field, describeValue(value), err.message ?? 'is invalid'));
      return;
    }
  }
}
