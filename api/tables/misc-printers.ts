import type { KubeObject } from '../object.js';
import { int, list, obj, str } from './fields.js';
import { timestampSince } from './human-duration.js';
import { ageColumn, column, nameColumn, type Printer } from './table.js';

const age = (o: KubeObject, now: Date) => timestampSince(o.metadata.creationTimestamp, now);
const nameOf = (o: KubeObject) => o.metadata.name ?? '';

export const namespacePrinter: Printer = {
  columns: [nameColumn(), column('Status', 'string', 'The status of the namespace'), ageColumn()],
  print: (ns, now) => ({ cells: [nameOf(ns), str(obj(ns.status).phase), age(ns, now)] }),
};

export const configMapPrinter: Printer = {
  columns: [nameColumn(), column('Data', 'integer', 'Data contains the configuration data.'), ageColumn()],
  print: (cm, now) => ({
    cells: [
      nameOf(cm),
      Object.keys(obj(cm.data)).length + Object.keys(obj(cm.binaryData)).length,
      age(cm, now),
    ],
  }),
};

export const secretPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Type', 'string', 'Used to facilitate programmatic handling of secret data.'),
    column('Data', 'integer', 'Data contains the secret data.'),
    ageColumn(),
  ],
  print: (s, now) => {
    const keys = new Set([...Object.keys(obj(s.data)), ...Object.keys(obj(s.stringData))]);
    return { cells: [nameOf(s), str(s.type) || 'Opaque', keys.size, age(s, now)] };
  },
};

export const serviceAccountPrinter: Printer = {
  columns: [
    nameColumn(),
    column(
      'Secrets',
      'string',
      'Secrets is a list of the secrets in the same namespace that pods running using this ServiceAccount are allowed to use.',
    ),
    ageColumn(),
  ],
  print: (sa, now) => ({ cells: [nameOf(sa), list(sa.secrets).length, age(sa, now)] }),
};

function firstNonEmpty(...values: string[]): string {
  return values.find((v) => v !== '') ?? '';
}

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'The time at which the most recent occurrence of this event was recorded.'),
    column('Type', 'string', 'Type of this event (Normal, Warning), new types could be added in the future'),
    column(
      'Reason',
      'string',
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    column('Object', 'string', 'The object that this event is about.'),
    column(
      'Subobject',
      'string',
      'If referring to a piece of an object instead of an entire object, this string should contain a valid JSON/Go field access statement.',
      { priority: 1 },
    ),
    column(
      'Source',
      'string',
      'The component reporting this event. Should be a short machine understandable string.',
      { priority: 1 },
    ),
    column('Message', 'string', 'A human-readable description of the status of this operation.'),
    column(
      'First Seen',
      'string',
      'The time at which the event was first recorded. (Time of server receipt is in TypeMeta.)',
      { priority: 1 },
    ),
    column('Count', 'string', 'The number of times this event has occurred.', { priority: 1 }),
    column('Name', 'string', 'Name must be unique within a namespace.', { priority: 1, format: 'name' }),
  ],
  print(ev, now) {
    // Both core/v1 and events.k8s.io/v1 shapes are read.
    const involved = obj(ev.involvedObject ?? ev.regarding);
    const source = obj(ev.source ?? ev.deprecatedSource);
    const series = ev.series ? obj(ev.series) : undefined;
    const firstTs = str(ev.firstTimestamp ?? ev.deprecatedFirstTimestamp);
    const lastTs = str(ev.lastTimestamp ?? ev.deprecatedLastTimestamp);
    const first = firstTs ? timestampSince(firstTs, now) : timestampSince(str(ev.eventTime), now);
    let last = lastTs ? timestampSince(lastTs, now) : first;
    let count = int(ev.count ?? ev.deprecatedCount);
    if (series) {
      last = timestampSince(str(series.lastObservedTime), now);
      count = int(series.count);
    } else if (count === 0) {
      count = 1;
    }
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    const component = firstNonEmpty(
      str(source.component),
      str(ev.reportingComponent ?? ev.reportingController),
    );
    const instance = firstNonEmpty(str(source.host), str(ev.reportingInstance));
    return {
      cells: [
        last,
        str(ev.type),
        str(ev.reason),
        target,
        str(involved.fieldPath),
        instance ? `${component}, ${instance}` : component,
        str(ev.message ?? ev.note).trim(),
        first,
        count,
        nameOf(ev),
      ],
    };
  },
};

export const leasePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Holder', 'string', 'holderIdentity contains the identity of the holder of a current lease.'),
    ageColumn(),
  ],
  print: (l, now) => ({ cells: [nameOf(l), str(obj(l.spec).holderIdentity), age(l, now)] }),
};

export const priorityClassPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Value', 'integer', 'value represents the integer value of this priority class.'),
    column(
      'Global-Default',
      'boolean',
      'globalDefault specifies whether this PriorityClass should be considered as the default priority for pods that do not have any priority class.',
    ),
    ageColumn(),
    column(
      'PreemptionPolicy',
      'string',
      'preemptionPolicy is the Policy for preempting pods with lower priority.',
    ),
  ],
  print: (pc, now) => ({
    cells: [nameOf(pc), int(pc.value), pc.globalDefault === true, age(pc, now), str(pc.preemptionPolicy)],
  }),
};

export const defaultPrinter: Printer = {
  columns: [nameColumn(), ageColumn()],
  print: (o, now) => ({ cells: [nameOf(o), age(o, now)] }),
};
