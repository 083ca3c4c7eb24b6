import type { ObjectMeta } from 'kubernetes-types/meta/v1.js';
import type { FieldError } from '../errors.js';
import { byteLength, forbidden, immutable, invalidValue, required, tooLong } from './field-errors.js';
import {
  isDns1035Label,
  isDns1123Label,
  isDns1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
} from './name-rules.js';

/** A name rule: given a name (or generateName prefix), its problems. */
export type NameRule = (name: string, prefix: boolean) => string[];

export const TOTAL_ANNOTATION_SIZE_LIMIT = 256 * 1024;

/** generateName prefixes may end with '-', since a random suffix follows. */
export function maskTrailingDash(name: string): string {
  return name.length > 1 && name.endsWith('-') ? `${name.slice(0, -1)}a` : name;
}

export function validateLabels(labels: Record<string, string> | undefined, field: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    for (const msg of isQualifiedName(k)) errs.push(invalidValue(field, k, msg));
    if (typeof v !== 'string') {
      errs.push(invalidValue(field, v, 'must be a string'));
      continue;
    }
    for (const msg of isValidLabelValue(v)) errs.push(invalidValue(field, v, msg));
  }
  return errs;
}

export function validateAnnotations(
  annotations: Record<string, string> | undefined,
  field: string,
): FieldError[] {
  const errs: FieldError[] = [];
  let total = 0;
  for (const [k, v] of Object.entries(annotations ?? {})) {
    for (const msg of isQualifiedName(k.toLowerCase())) errs.push(invalidValue(field, k, msg));
    total += byteLength(k) + byteLength(typeof v === 'string' ? v : String(v));
  }
  if (total > TOTAL_ANNOTATION_SIZE_LIMIT) errs.push(tooLong(field, TOTAL_ANNOTATION_SIZE_LIMIT));
  return errs;
}

function validateOwnerReferences(meta: ObjectMeta, field: string): FieldError[] {
  const errs: FieldError[] = [];
  let controllers = 0;
  (meta.ownerReferences ?? []).forEach((ref, i) => {
    const p = `${field}[${i}]`;
    if (!ref.apiVersion)
      errs.push(invalidValue(`${p}.apiVersion`, ref.apiVersion ?? '', 'version must not be empty'));
    if (!ref.kind) errs.push(invalidValue(`${p}.kind`, ref.kind ?? '', 'kind must not be empty'));
    if (!ref.name) errs.push(invalidValue(`${p}.name`, ref.name ?? '', 'name must not be empty'));
    if (!ref.uid) errs.push(invalidValue(`${p}.uid`, ref.uid ?? '', 'uid must not be empty'));
    if (ref.controller) controllers++;
  });
  if (controllers > 1) {
    errs.push(
      invalidValue(field, meta.ownerReferences, 'Only one reference can have Controller set to true'),
    );
  }
  return errs;
}

export interface MetaOptions {
  namespaced: boolean;
  nameRule: NameRule;
}

/** Upstream's ValidateObjectMeta: name/generateName, namespace by scope, labels, annotations, owners, finalizers. */
export function validateObjectMeta(
  meta: ObjectMeta | undefined,
  opts: MetaOptions,
  field = 'metadata',
): FieldError[] {
  const errs: FieldError[] = [];
  const m = meta ?? {};
  if (m.generateName) {
    for (const msg of opts.nameRule(m.generateName, true)) {
      errs.push(invalidValue(`${field}.generateName`, m.generateName, msg));
    }
  }
  if (!m.name) {
    errs.push(required(`${field}.name`, 'name or generateName is required'));
  } else {
    for (const msg of opts.nameRule(m.name, false)) errs.push(invalidValue(`${field}.name`, m.name, msg));
  }
  if (opts.namespaced) {
    if (!m.namespace) errs.push(required(`${field}.namespace`));
    else
      for (const msg of isDns1123Label(m.namespace))
        errs.push(invalidValue(`${field}.namespace`, m.namespace, msg));
  } else if (m.namespace) {
    errs.push(forbidden(`${field}.namespace`, 'not allowed on this type'));
  }
  if (m.generation !== undefined && m.generation < 0) {
    errs.push(invalidValue(`${field}.generation`, m.generation, 'must be greater than or equal to 0'));
  }
  errs.push(...validateLabels(m.labels, `${field}.labels`));
  errs.push(...validateAnnotations(m.annotations, `${field}.annotations`));
  errs.push(...validateOwnerReferences(m, `${field}.ownerReferences`));
  for (const f of m.finalizers ?? []) {
    for (const msg of isQualifiedName(f)) errs.push(invalidValue(`${field}.finalizers`, f, msg));
    if (!f.includes('/') && !STANDARD_FINALIZERS.has(f)) {
      errs.push(
        invalidValue(
          `${field}.finalizers`,
          f,
          'name is neither a standard finalizer name nor is it fully qualified',
        ),
      );
    }
  }
  if (m.deletionGracePeriodSeconds !== undefined && m.deletionTimestamp === undefined) {
    errs.push(
      forbidden(`${field}.deletionGracePeriodSeconds`, 'may only be set when deletionTimestamp is set'),
    );
  }
  return errs;
}

const STANDARD_FINALIZERS = new Set(['kubernetes', 'orphan', 'foregroundDeletion']);

/** Upstream's ValidateObjectMetaUpdate: identity fields may not change. */
export function validateObjectMetaUpdate(
  next: ObjectMeta | undefined,
  old: ObjectMeta | undefined,
  field = 'metadata',
): FieldError[] {
  const n = next ?? {};
  const o = old ?? {};
  const errs: FieldError[] = [];
  errs.push(...immutable(`${field}.name`, n.name, o.name));
  errs.push(...immutable(`${field}.namespace`, n.namespace ?? '', o.namespace ?? ''));
  errs.push(...immutable(`${field}.uid`, n.uid, o.uid));
  errs.push(...immutable(`${field}.creationTimestamp`, n.creationTimestamp, o.creationTimestamp));
  // deletionTimestamp, deletionGracePeriodSeconds and finalizers of deleting objects are the server's to guard.
  return errs;
}

export const subdomainName: NameRule = (name, prefix) =>
  isDns1123Subdomain(prefix ? maskTrailingDash(name) : name);
export const labelName: NameRule = (name, prefix) => isDns1123Label(prefix ? maskTrailingDash(name) : name);
export const dns1035Name: NameRule = (name, prefix) => isDns1035Label(prefix ? maskTrailingDash(name) : name);

/** Upstream's path-segment rule (names that only end up in URLs, e.g. Event names of old clients). */
export const pathSegmentName: NameRule = (name) => {
  if (name === '.' || name === '..') return [`may not be '${name}'`];
  const errs: string[] = [];
  for (const bad of ['/', '%']) if (name.includes(bad)) errs.push(`may not contain '${bad}'`);
  return errs;
};
