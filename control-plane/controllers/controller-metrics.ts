import { Counter, register } from 'prom-client';

let syncs: Counter<'controller' | 'result'> | undefined;

/** `skiff_controller_sync_total{controller,result}`: result is success or error. */
export function syncCounter(): Counter<'controller' | 'result'> {
  syncs ??=
    (register.getSingleMetric('skiff_controller_sync_total') as
      | Counter<'controller' | 'result'>
      | undefined) ??
    new Counter({
      name: 'skiff_controller_sync_total',
      help: 'Controller sync calls by outcome',
      labelNames: ['controller', 'result'],
    });
  return syncs;
}
