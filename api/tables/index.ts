export { humanDuration, timestampSince } from './human-duration.js';
export { nodeRoles, nodeStatus } from './node-printer.js';
export { podSummary } from './pod-printer.js';
export { formatEndpoints, serviceExternalIP, servicePorts } from './service-printers.js';
export type {
  PartialObjectMetadata,
  PrintedRow,
  Printer,
  Table,
  TableCell,
  TableColumnDefinition,
  TableRow,
  TableRowCondition,
} from './table.js';
export { type IncludeObject, printerFor, type ToTableOptions, toTable } from './to-table.js';
export { jobStatus } from './workload-printers.js';
