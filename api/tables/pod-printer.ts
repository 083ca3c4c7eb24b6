import type { KubeObject } from '../object.js';
import { int, list, type Obj, obj, str } from './fields.js';
import { timestampSince } from './human-duration.js';
import {
  ageColumn,
  column,
  nameColumn,
  type PrintedRow,
  type Printer,
  type TableRowCondition,
} from './table.js';

const SUCCEEDED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' },
];
const FAILED: TableRowCondition[] = [
  { type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' },
];

/** The node lifecycle controller's reason for pods on an unreachable node. */
const NODE_UNREACHABLE_REASON = 'NodeLost';

function isRestartableInit(c: Obj | undefined): boolean {
  return c !== undefined && c.restartPolicy === 'Always';
}

function conditionTrue(status: Obj, type: string): boolean {
  return list(status.conditions).some((c) => c.type === type && c.status === 'True');
}

function finishedAt(cs: Obj): number | undefined {
  const at = str(obj(obj(cs.lastState).terminated).finishedAt);
  const t = at ? Date.parse(at) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}

function terminatedReason(t: Obj, prefix: string): string {
  if (str(t.reason)) return `${prefix}${str(t.reason)}`;
  return int(t.signal) !== 0 ? `${prefix}Signal:${int(t.signal)}` : `${prefix}ExitCode:${int(t.exitCode)}`;
}

/** Ready, Status, Restarts and row conditions of a pod, following upstream's printPod. */
export function podSummary(
  pod: KubeObject,
  now: Date,
): { ready: string; reason: string; restarts: string; conditions?: TableRowCondition[] } {
  const spec = obj(pod.spec);
  const status = obj(pod.status);
  const phase = str(status.phase);
  let reason = str(status.reason) || phase;
  if (list(status.conditions).some((c) => c.type === 'PodScheduled' && c.reason === 'SchedulingGated')) {
    reason = 'SchedulingGated';
  }
  const initSpecs = new Map(list(spec.initContainers).map((c) => [str(c.name), c]));
  let total = list(spec.containers).length;
  for (const c of initSpecs.values()) if (isRestartableInit(c)) total++;

  let ready = 0;
  let restarts = 0;
  let sidecarRestarts = 0;
  let lastRestart: number | undefined;
  let lastSidecarRestart: number | undefined;
  const later = (a: number | undefined, b: number | undefined) =>
    b !== undefined && (a === undefined || b > a) ? b : a;

  let initializing = false;
  const initStatuses = list(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const cs = initStatuses[i];
    const sidecar = isRestartableInit(initSpecs.get(str(cs.name)));
    restarts += int(cs.restartCount);
    lastRestart = later(lastRestart, finishedAt(cs));
    if (sidecar) {
      sidecarRestarts += int(cs.restartCount);
      lastSidecarRestart = later(lastSidecarRestart, finishedAt(cs));
    }
    const state = obj(cs.state);
    const terminated = state.terminated ? obj(state.terminated) : undefined;
    const waiting = state.waiting ? obj(state.waiting) : undefined;
    if (terminated && int(terminated.exitCode) === 0) continue;
    if (sidecar && cs.started === true) {
      if (cs.ready === true) ready++;
      continue;
    }
    if (terminated) reason = terminatedReason(terminated, 'Init:');
    else if (waiting && str(waiting.reason) && waiting.reason !== 'PodInitializing')
      reason = `Init:${str(waiting.reason)}`;
    else reason = `Init:${i}/${initSpecs.size}`;
    initializing = true;
    break;
  }

  if (!initializing || conditionTrue(status, 'Initialized')) {
    restarts = sidecarRestarts;
    lastRestart = lastSidecarRestart;
    let hasRunning = false;
    const statuses = list(status.containerStatuses);
    for (let i = statuses.length - 1; i >= 0; i--) {
      const cs = statuses[i];
      restarts += int(cs.restartCount);
      lastRestart = later(lastRestart, finishedAt(cs));
      const state = obj(cs.state);
      const waiting = state.waiting ? obj(state.waiting) : undefined;
      const terminated = state.terminated ? obj(state.terminated) : undefined;
      if (waiting && str(waiting.reason)) reason = str(waiting.reason);
      else if (terminated) reason = terminatedReason(terminated, '');
      else if (cs.ready === true && state.running) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning)
      reason = conditionTrue(status, 'Ready') ? 'Running' : 'NotReady';
  }

  const deleting = Boolean(pod.metadata.deletionTimestamp);
  if (deleting && status.reason === NODE_UNREACHABLE_REASON) reason = 'Unknown';
  else if (deleting && phase !== 'Succeeded' && phase !== 'Failed') reason = 'Terminating';

  let restartText = String(restarts);
  if (restarts !== 0 && lastRestart !== undefined) {
    restartText = `${restarts} (${timestampSince(new Date(lastRestart), now)} ago)`;
  }
  const conditions = phase === 'Succeeded' ? SUCCEEDED : phase === 'Failed' ? FAILED : undefined;
  return { ready: `${ready}/${total}`, reason, restarts: restartText, conditions };
}

function readinessGates(spec: Obj, status: Obj): string {
  const gates = list(spec.readinessGates);
  if (gates.length === 0) return '<none>';
  const conditions = list(status.conditions);
  const trueCount = gates.filter(
    (g) => conditions.find((c) => c.type === g.conditionType)?.status === 'True',
  ).length;
  return `${trueCount}/${gates.length}`;
}

export const podPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'The aggregate readiness state of this pod for accepting traffic.'),
    column('Status', 'string', 'The aggregate status of the containers in this pod.'),
    column(
      'Restarts',
      'string',
      'The number of times the containers in this pod have been restarted and when the last container in this pod has restarted.',
    ),
    ageColumn(),
    column('IP', 'string', 'IP address allocated to the pod. Routable at least within the cluster.', {
      priority: 1,
    }),
    column('Node', 'string', 'The name of the node the pod is scheduled onto.', { priority: 1 }),
    column('Nominated Node', 'string', 'The node the scheduler nominated for this pod when preempting.', {
      priority: 1,
    }),
    column('Readiness Gates', 'string', 'Pod conditions evaluated, with the containers, for pod readiness.', {
      priority: 1,
    }),
  ],
  print(pod: KubeObject, now: Date): PrintedRow {
    const spec = obj(pod.spec);
    const status = obj(pod.status);
    const s = podSummary(pod, now);
    const podIP = str(list(status.podIPs)[0]?.ip) || str(status.podIP) || '<none>';
    return {
      cells: [
        pod.metadata.name ?? '',
        s.ready,
        s.reason,
        s.restarts,
        timestampSince(pod.metadata.creationTimestamp, now),
        podIP,
        str(spec.nodeName) || '<none>',
        str(status.nominatedNodeName) || '<none>',
        readinessGates(spec, status),
      ],
      conditions: s.conditions,
    };
  },
};
