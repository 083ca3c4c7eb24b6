import type { KubeObject } from '../object.js';
import { tryParseQuantity } from '../quantity.js';
import { containerCells, formatLabels, int, obj } from './fields.js';
import { timestampSince } from './human-duration.js';
import { AGE_DESCRIPTION, ageColumn, column, nameColumn, type Printer } from './table.js';

const nameOf = (o: KubeObject) => o.metadata.name ?? '';

/** `daemonset.apps/name`: the controller owner reference, lowercased kind.group as upstream. */
function controllerName(o: KubeObject): string {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller === true);
  if (!ref) return '<none>';
  const slash = ref.apiVersion.indexOf('/');
  const group = slash < 0 ? '' : ref.apiVersion.slice(0, slash);
  const kind = group ? `${ref.kind}.${group}` : ref.kind;
  return `${kind.toLowerCase()}/${ref.name}`;
}

export const controllerRevisionPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Controller', 'string', 'Controller of the object'),
    column('Revision', 'integer', 'Revision of the ControllerRevision'),
    ageColumn(),
  ],
  print: (cr, now) => ({
    cells: [
      nameOf(cr),
      controllerName(cr),
      int(cr.revision),
      timestampSince(cr.metadata.creationTimestamp, now),
    ],
  }),
};

function quantityText(v: unknown): string {
  if (v === undefined || v === null) return '0';
  return tryParseQuantity(v as string | number)?.toString() ?? String(v);
}

export const resourceQuotaPrinter: Printer = {
  columns: [
    nameColumn(),
    ageColumn(),
    column(
      'Request',
      'string',
      'Request represents a minimum amount of cpu/memory that a container may consume.',
    ),
    column(
      'Limit',
      'string',
      'Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node.',
    ),
  ],
  print(rq, now) {
    const status = obj(rq.status);
    const hard = obj(status.hard);
    const used = obj(status.used);
    const requests: string[] = [];
    const limits: string[] = [];
    for (const name of Object.keys(hard).sort()) {
      const text = `${name}: ${quantityText(used[name])}/${quantityText(hard[name])}`;
      (name.split('.')[0] === 'limits' && name.includes('.') ? limits : requests).push(text);
    }
    return {
      cells: [
        nameOf(rq),
        timestampSince(rq.metadata.creationTimestamp, now),
        requests.join(', '),
        limits.join(', '),
      ],
    };
  },
};

export const podTemplatePrinter: Printer = {
  columns: [
    nameColumn(),
    column('Containers', 'string', 'Names of each container in the template.'),
    column('Images', 'string', 'Images referenced by each container in the template.'),
    column('Pod Labels', 'string', 'The labels for the pod template.'),
  ],
  print(pt) {
    const template = obj(pt.template);
    const [names, images] = containerCells(template.spec);
    return { cells: [nameOf(pt), names, images, formatLabels(obj(template.metadata).labels)] };
  },
};

/** RFC 3339 in UTC without fractional seconds, as Go's time.RFC3339 prints it. */
function rfc3339(ts: string | undefined): string {
  const t = ts ? Date.parse(ts) : Number.NaN;
  return Number.isNaN(t) ? '' : new Date(t).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export const limitRangePrinter: Printer = {
  columns: [nameColumn(), column('Created At', 'date', AGE_DESCRIPTION)],
  print: (lr) => ({ cells: [nameOf(lr), rfc3339(lr.metadata.creationTimestamp)] }),
};

const intOrPercent = (v: unknown) => (v === undefined || v === null ? 'N/A' : String(v));

export const podDisruptionBudgetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Min Available', 'string', 'The minimum number of pods that must be available simultaneously'),
    column('Max Unavailable', 'string', 'The maximum number of pods that may be unavailable simultaneously'),
    column('Allowed Disruptions', 'integer', 'Calculated number of pods that may be disrupted at this time'),
    ageColumn(),
  ],
  print: (pdb, now) => {
    const spec = obj(pdb.spec);
    return {
      cells: [
        nameOf(pdb),
        intOrPercent(spec.minAvailable),
        intOrPercent(spec.maxUnavailable),
        int(obj(pdb.status).disruptionsAllowed),
        timestampSince(pdb.metadata.creationTimestamp, now),
      ],
    };
  },
};
