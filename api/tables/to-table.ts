import type { KubeObject } from '../object.js';
import type { ResourceDef } from '../resources.js';
import {
  configMapPrinter,
  defaultPrinter,
  eventPrinter,
  leasePrinter,
  namespacePrinter,
  priorityClassPrinter,
  secretPrinter,
  serviceAccountPrinter,
} from './misc-printers.js';
import { nodePrinter } from './node-printer.js';
import { podPrinter } from './pod-printer.js';
import {
  controllerRevisionPrinter,
  limitRangePrinter,
  podDisruptionBudgetPrinter,
  podTemplatePrinter,
  resourceQuotaPrinter,
} from './policy-printers.js';
import { endpointSlicePrinter, endpointsPrinter, servicePrinter } from './service-printers.js';
import type { PartialObjectMetadata, Printer, Table, TableRow } from './table.js';
import {
  cronJobPrinter,
  daemonSetPrinter,
  deploymentPrinter,
  jobPrinter,
  replicaSetPrinter,
  statefulSetPrinter,
} from './workload-printers.js';

const PRINTERS: Record<string, Printer> = {
  '/Pod': podPrinter,
  '/Node': nodePrinter,
  '/Namespace': namespacePrinter,
  '/Service': servicePrinter,
  '/Endpoints': endpointsPrinter,
  '/ConfigMap': configMapPrinter,
  '/Secret': secretPrinter,
  '/ServiceAccount': serviceAccountPrinter,
  '/Event': eventPrinter,
  '/ResourceQuota': resourceQuotaPrinter,
  '/LimitRange': limitRangePrinter,
  '/PodTemplate': podTemplatePrinter,
  'apps/ControllerRevision': controllerRevisionPrinter,
  'apps/Deployment': deploymentPrinter,
  'apps/ReplicaSet': replicaSetPrinter,
  'apps/DaemonSet': daemonSetPrinter,
  'apps/StatefulSet': statefulSetPrinter,
  'batch/Job': jobPrinter,
  'batch/CronJob': cronJobPrinter,
  'events.k8s.io/Event': eventPrinter,
  'discovery.k8s.io/EndpointSlice': endpointSlicePrinter,
  'coordination.k8s.io/Lease': leasePrinter,
  'scheduling.k8s.io/PriorityClass': priorityClassPrinter,
  'policy/PodDisruptionBudget': podDisruptionBudgetPrinter,
};

export function printerFor(resource: Pick<ResourceDef, 'group' | 'kind'>): Printer {
  return PRINTERS[`${resource.group}/${resource.kind}`] ?? defaultPrinter;
}

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface ToTableOptions {
  now: Date;
  resourceVersion?: string;
  continue?: string;
  remainingItemCount?: number;
  includeObject?: IncludeObject;
}

function partial(o: KubeObject): PartialObjectMetadata {
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

/**
 * The meta.k8s.io/v1 Table kubectl asks for with `as=Table`: all columns (wide ones have
 * priority 1, which kubectl hides without `-o wide`), one row per object.
 */
export function toTable(
  resource: Pick<ResourceDef, 'group' | 'kind'>,
  objects: readonly KubeObject[],
  opts: ToTableOptions,
): Table {
  const printer = printerFor(resource);
  const include = opts.includeObject ?? 'Metadata';
  const rows = objects.map((o): TableRow => {
    const printed = printer.print(o, opts.now);
    const row: TableRow = { cells: printed.cells };
    if (printed.conditions) row.conditions = printed.conditions;
    if (include === 'Metadata') row.object = partial(o);
    else if (include === 'Object') row.object = o;
    return row;
  });
  const metadata: Table['metadata'] = {};
  if (opts.resourceVersion !== undefined) metadata.resourceVersion = opts.resourceVersion;
  if (opts.continue) metadata.continue = opts.continue;
  if (opts.remainingItemCount !== undefined) metadata.remainingItemCount = opts.remainingItemCount;
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata,
    columnDefinitions: printer.columns.map((c) => ({ ...c })),
    rows,
  };
}
