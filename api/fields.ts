import { badRequest } from './errors.js';
import type { KubeObject } from './object.js';

export interface FieldRequirement {
  field: string;
  operator: '=' | '!=';
  value: string;
}

/** A parsed field selector: a conjunction of `field=value` / `field!=value` terms. */
export interface FieldMatcher {
  /** A field missing from `fields` compares as the empty string, as upstream's fields.Set. */
  matches(fields: Record<string, string>): boolean;
  requirements(): readonly FieldRequirement[];
  readonly empty: boolean;
  toString(): string;
}

class TermsMatcher implements FieldMatcher {
  constructor(private readonly terms: readonly FieldRequirement[]) {}

  get empty(): boolean {
    return this.terms.length === 0;
  }

  matches(fields: Record<string, string>): boolean {
    return this.terms.every((t) => {
      const actual = Object.hasOwn(fields, t.field) ? fields[t.field] : '';
      return t.operator === '=' ? actual === t.value : actual !== t.value;
    });
  }

  requirements(): readonly FieldRequirement[] {
    return this.terms;
  }

  toString(): string {
    return this.terms.map((t) => `${t.field}${t.operator}${escapeFieldValue(t.value)}`).join(',');
  }
}

/** A matcher from given terms, e.g. after label conversion. */
export function fieldMatcherOf(terms: readonly FieldRequirement[]): FieldMatcher {
  return new TermsMatcher([...terms]);
}

export function escapeFieldValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/,/g, '\\,').replace(/=/g, '\\=');
}

/** Undoes `\\`, `\,` and `\=`; any other escape, or a bare `,`/`=`, is an error as upstream. */
export function unescapeFieldValue(v: string): string {
  if (!v.includes('\\') && !v.includes('=') && !v.includes(',')) return v;
  let out = '';
  for (let i = 0; i < v.length; i++) {
    const c = v[i];
    if (c === '\\') {
      const n = v[i + 1];
      if (n === '\\' || n === ',' || n === '=') {
        out += n;
        i++;
        continue;
      }
      throw new Error(
        `invalid field selector: invalid escape sequence: ${n === undefined ? '\\' : `\\${n}`}`,
      );
    }
    if (c === ',' || c === '=') throw new Error(`invalid field selector: unescaped character in value: ${c}`);
    out += c;
  }
  return out;
}

/** Splits on commas not preceded by an escaping backslash, keeping escapes in the parts. */
function splitTerms(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let escaped = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (escaped) escaped = false;
    else if (c === '\\') escaped = true;
    else if (c === ',') {
      parts.push(text.slice(start, i));
      start = i + 1;
    }
  }
  parts.push(text.slice(start));
  return parts;
}

const TERM_OPERATORS = ['!=', '==', '='] as const;

function splitTerm(term: string): { field: string; op: string; value: string } | undefined {
  let escaped = false;
  for (let i = 0; i < term.length; i++) {
    if (escaped) {
      escaped = false;
      continue;
    }
    if (term[i] === '\\') {
      escaped = true;
      continue;
    }
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return { field: term.slice(0, i), op, value: term.slice(i + op.length) };
    }
  }
  return undefined;
}

/** Parses a field selector as upstream's fields.ParseSelector; errors are 400 BadRequest. */
export function parseFieldSelector(text: string): FieldMatcher {
  const terms: FieldRequirement[] = [];
  for (const part of splitTerms(text)) {
    if (part === '') continue;
    const t = splitTerm(part);
    if (!t) throw badRequest(`invalid selector: '${text}'; can't understand '${part}'`);
    let value: string;
    try {
      value = unescapeFieldValue(t.value);
    } catch (e) {
      throw badRequest((e as Error).message);
    }
    terms.push({ field: t.field, operator: t.op === '!=' ? '!=' : '=', value });
  }
  return new TermsMatcher(terms);
}

// ---- selectable fields per kind ----------------------------------------------------------------

interface KindFields {
  /** Field labels accepted in selectors, mapped to the name `fieldsOf` uses for them. */
  labels: Record<string, string>;
  /** Builds the error for an unsupported label. */
  unsupported: (label: string) => string;
  extract: (obj: KubeObject) => Record<string, string>;
}

type Resource = { group: string; kind: string };

const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : String(v);
const rec = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === 'object' ? (v as Record<string, unknown>) : {};

function identity(...labels: string[]): Record<string, string> {
  return Object.fromEntries(labels.map((l) => [l, l]));
}

const fieldLabelNotSupported = (label: string): string => `field label not supported: ${label}`;

function metaFields(obj: KubeObject): Record<string, string> {
  return { 'metadata.name': str(obj.metadata?.name), 'metadata.namespace': str(obj.metadata?.namespace) };
}

const DEFAULT_FIELDS: KindFields = {
  labels: identity('metadata.name', 'metadata.namespace'),
  unsupported: (label) =>
    `"${label}" is not a known field selector: only "metadata.name", "metadata.namespace"`,
  extract: metaFields,
};

function eventFields(obj: KubeObject): Record<string, string> {
  // Reads both shapes: core/v1 (involvedObject, source) and events.k8s.io/v1 (regarding, deprecatedSource).
  const ref = rec(obj.involvedObject ?? obj.regarding);
  const source = rec(obj.source ?? obj.deprecatedSource);
  return {
    ...metaFields(obj),
    'involvedObject.kind': str(ref.kind),
    'involvedObject.namespace': str(ref.namespace),
    'involvedObject.name': str(ref.name),
    'involvedObject.uid': str(ref.uid),
    'involvedObject.apiVersion': str(ref.apiVersion),
    'involvedObject.resourceVersion': str(ref.resourceVersion),
    'involvedObject.fieldPath': str(ref.fieldPath),
    reason: str(obj.reason),
    reportingComponent: str(obj.reportingComponent ?? obj.reportingController),
    source: str(source.component),
    type: str(obj.type),
  };
}

const CORE_EVENT_LABELS = identity(
  'involvedObject.kind',
  'involvedObject.namespace',
  'involvedObject.name',
  'involvedObject.uid',
  'involvedObject.apiVersion',
  'involvedObject.resourceVersion',
  'involvedObject.fieldPath',
  'reason',
  'reportingComponent',
  'source',
  'type',
  'metadata.namespace',
  'metadata.name',
);

const KINDS: Record<string, KindFields> = {
  '/Pod': {
    labels: {
      ...identity(
        'metadata.name',
        'metadata.namespace',
        'spec.nodeName',
        'spec.restartPolicy',
        'spec.schedulerName',
        'spec.serviceAccountName',
        'spec.hostNetwork',
        'status.phase',
        'status.podIP',
        'status.podIPs',
        'status.nominatedNodeName',
      ),
      // Old v1 clients send spec.host.
      'spec.host': 'spec.nodeName',
    },
    unsupported: fieldLabelNotSupported,
    extract: (obj) => {
      const spec = rec(obj.spec);
      const status = rec(obj.status);
      const podIPs = Array.isArray(status.podIPs) ? (status.podIPs as { ip?: string }[]) : [];
      return {
        ...metaFields(obj),
        'spec.nodeName': str(spec.nodeName),
        'spec.restartPolicy': str(spec.restartPolicy),
        'spec.schedulerName': str(spec.schedulerName),
        'spec.serviceAccountName': str(spec.serviceAccountName),
        'spec.hostNetwork': spec.hostNetwork === true ? 'true' : 'false',
        'status.phase': str(status.phase),
        'status.podIP': str(podIPs[0]?.ip ?? status.podIP),
        'status.nominatedNodeName': str(status.nominatedNodeName),
      };
    },
  },
  '/Node': {
    labels: identity('metadata.name', 'spec.unschedulable'),
    unsupported: fieldLabelNotSupported,
    extract: (obj) => ({
      'metadata.name': str(obj.metadata?.name),
      'spec.unschedulable': rec(obj.spec).unschedulable === true ? 'true' : 'false',
    }),
  },
  '/Namespace': {
    labels: identity('status.phase', 'metadata.name'),
    unsupported: fieldLabelNotSupported,
    extract: (obj) => ({
      'metadata.name': str(obj.metadata?.name),
      'status.phase': str(rec(obj.status).phase),
    }),
  },
  '/Secret': {
    labels: identity('type', 'metadata.namespace', 'metadata.name'),
    unsupported: fieldLabelNotSupported,
    extract: (obj) => ({ ...metaFields(obj), type: str(obj.type) }),
  },
  '/Service': {
    labels: identity('metadata.namespace', 'metadata.name', 'spec.clusterIP', 'spec.type'),
    unsupported: fieldLabelNotSupported,
    extract: (obj) => ({
      ...metaFields(obj),
      'spec.clusterIP': str(rec(obj.spec).clusterIP),
      'spec.type': str(rec(obj.spec).type),
    }),
  },
  '/ReplicationController': {
    labels: identity('metadata.name', 'metadata.namespace', 'status.replicas'),
    unsupported: fieldLabelNotSupported,
    extract: (obj) => ({ ...metaFields(obj), 'status.replicas': str(rec(obj.status).replicas ?? 0) }),
  },
  '/Event': { labels: CORE_EVENT_LABELS, unsupported: fieldLabelNotSupported, extract: eventFields },
  'events.k8s.io/Event': {
    labels: {
      reason: 'reason',
      'regarding.kind': 'involvedObject.kind',
      'regarding.namespace': 'involvedObject.namespace',
      'regarding.name': 'involvedObject.name',
      'regarding.uid': 'involvedObject.uid',
      'regarding.apiVersion': 'involvedObject.apiVersion',
      'regarding.resourceVersion': 'involvedObject.resourceVersion',
      'regarding.fieldPath': 'involvedObject.fieldPath',
      reportingController: 'reportingComponent',
      source: 'source',
      type: 'type',
      'metadata.namespace': 'metadata.namespace',
      'metadata.name': 'metadata.name',
    },
    unsupported: fieldLabelNotSupported,
    extract: eventFields,
  },
  'batch/Job': {
    labels: identity('metadata.name', 'metadata.namespace', 'status.successful'),
    unsupported: (label) => `field label "${label}" not supported for batchv1.Job`,
    extract: (obj) => ({ ...metaFields(obj), 'status.successful': str(rec(obj.status).succeeded ?? 0) }),
  },
};

function kindFields(resource: Resource): KindFields {
  return KINDS[`${resource.group}/${resource.kind}`] ?? DEFAULT_FIELDS;
}

/**
 * The selectable fields of an object as kube-apiserver offers them (ToSelectableFields), keyed by
 * the internal label names (which `validateFieldSelector` converts selectors to) and their aliases.
 */
export function fieldsOf(resource: Resource, obj: KubeObject): Record<string, string> {
  const kf = kindFields(resource);
  const fields = kf.extract(obj);
  // Aliases too, so an unconverted selector (`regarding.name`, `spec.host`) still matches.
  for (const [label, internal] of Object.entries(kf.labels)) {
    if (label !== internal && Object.hasOwn(fields, internal)) fields[label] = fields[internal];
  }
  return fields;
}

/** The field labels a kind accepts in selectors. */
export function supportedFieldLabels(resource: Resource): string[] {
  return Object.keys(kindFields(resource).labels);
}

/**
 * Checks every label against the kind's supported set (400 BadRequest with upstream's wording) and
 * returns the matcher with labels converted to the names `fieldsOf` produces (`spec.host` ->
 * `spec.nodeName`, `regarding.name` -> `involvedObject.name`).
 */
export function validateFieldSelector(resource: Resource, matcher: FieldMatcher): FieldMatcher {
  const kf = kindFields(resource);
  let converted = false;
  const terms = matcher.requirements().map((t) => {
    const internal = Object.hasOwn(kf.labels, t.field) ? kf.labels[t.field] : undefined;
    if (internal === undefined) throw badRequest(kf.unsupported(t.field));
    if (internal !== t.field) converted = true;
    return { ...t, field: internal };
  });
  return converted ? new TermsMatcher(terms) : matcher;
}
