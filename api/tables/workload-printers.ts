import {
  containerCells,
  formatLabelSelector,
  formatLabels,
  int,
  list,
  obj,
  selectorString,
  str,
  templateSpec,
} from './fields.js';
import { humanDuration, timestampSince } from './human-duration.js';
import { ageColumn, column, nameColumn, type Printer } from './table.js';

const containersColumn = () =>
  column('Containers', 'string', 'Names of each container in the template.', { priority: 1 });
const imagesColumn = () =>
  column('Images', 'string', 'Images referenced by each container in the template.', { priority: 1 });
const selectorColumn = (what: string) =>
  column('Selector', 'string', `Label query over pods that should match the ${what}.`, { priority: 1 });

export const deploymentPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    column(
      'Up-to-date',
      'integer',
      'Total number of non-terminated pods targeted by this deployment that have the desired template spec.',
    ),
    column(
      'Available',
      'integer',
      'Total number of available pods (ready for at least minReadySeconds) targeted by this deployment.',
    ),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('replica count'),
  ],
  print(d, now) {
    const spec = obj(d.spec);
    const status = obj(d.status);
    const [names, images] = containerCells(templateSpec(d));
    return {
      cells: [
        d.metadata.name ?? '',
        `${int(status.readyReplicas)}/${int(spec.replicas)}`,
        int(status.updatedReplicas),
        int(status.availableReplicas),
        timestampSince(d.metadata.creationTimestamp, now),
        names,
        images,
        selectorString(spec.selector),
      ],
    };
  },
};

export const replicaSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'Replicas is the number of desired pods.'),
    column('Current', 'integer', 'Replicas is the most recently observed number of replicas.'),
    column('Ready', 'integer', 'The number of ready replicas for this replica set.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('replica count'),
  ],
  print(rs, now) {
    const spec = obj(rs.spec);
    const status = obj(rs.status);
    const [names, images] = containerCells(templateSpec(rs));
    return {
      cells: [
        rs.metadata.name ?? '',
        int(spec.replicas),
        int(status.replicas),
        int(status.readyReplicas),
        timestampSince(rs.metadata.creationTimestamp, now),
        names,
        images,
        selectorString(spec.selector),
      ],
    };
  },
};

export const daemonSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Desired', 'integer', 'The total number of nodes that should be running the daemon pod.'),
    column(
      'Current',
      'integer',
      'The number of nodes that are running at least 1 daemon pod and are supposed to run the daemon pod.',
    ),
    column(
      'Ready',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and ready.',
    ),
    column('Up-to-date', 'integer', 'The total number of nodes that are running updated daemon pod'),
    column(
      'Available',
      'integer',
      'The number of nodes that should be running the daemon pod and have one or more of the daemon pod running and available.',
    ),
    column(
      'Node Selector',
      'string',
      'NodeSelector is a selector which must be true for the pod to fit on a node.',
    ),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('daemon set'),
  ],
  print(ds, now) {
    const status = obj(ds.status);
    const podSpec = templateSpec(ds);
    const [names, images] = containerCells(podSpec);
    return {
      cells: [
        ds.metadata.name ?? '',
        int(status.desiredNumberScheduled),
        int(status.currentNumberScheduled),
        int(status.numberReady),
        int(status.updatedNumberScheduled),
        int(status.numberAvailable),
        formatLabels(podSpec.nodeSelector),
        timestampSince(ds.metadata.creationTimestamp, now),
        names,
        images,
        selectorString(obj(ds.spec).selector),
      ],
    };
  },
};

export const statefulSetPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Ready', 'string', 'Number of the pod with ready state'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
  ],
  print(sts, now) {
    const [names, images] = containerCells(templateSpec(sts));
    return {
      cells: [
        sts.metadata.name ?? '',
        `${int(obj(sts.status).readyReplicas)}/${int(obj(sts.spec).replicas)}`,
        timestampSince(sts.metadata.creationTimestamp, now),
        names,
        images,
      ],
    };
  },
};

function hasCondition(status: Record<string, unknown>, type: string): boolean {
  return list(status.conditions).some((c) => c.type === type && c.status === 'True');
}

export function jobStatus(job: { metadata: { deletionTimestamp?: unknown }; status?: unknown }): string {
  const status = obj(job.status);
  if (hasCondition(status, 'Complete')) return 'Complete';
  if (hasCondition(status, 'Failed')) return 'Failed';
  if (job.metadata.deletionTimestamp) return 'Terminating';
  if (hasCondition(status, 'Suspended')) return 'Suspended';
  if (hasCondition(status, 'FailureTarget')) return 'FailureTarget';
  if (hasCondition(status, 'SuccessCriteriaMet')) return 'SuccessCriteriaMet';
  return 'Running';
}

export const jobPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Status', 'string', 'Status of the job.'),
    column('Completions', 'string', 'The completion status of the job.'),
    column('Duration', 'string', 'Time required to complete the job.'),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('pod count'),
  ],
  print(job, now) {
    const spec = obj(job.spec);
    const status = obj(job.status);
    const succeeded = int(status.succeeded);
    let completions: string;
    if (typeof spec.completions === 'number') completions = `${succeeded}/${spec.completions}`;
    else if (int(spec.parallelism) > 1) completions = `${succeeded}/1 of ${int(spec.parallelism)}`;
    else completions = `${succeeded}/1`;
    const start = str(status.startTime) ? Date.parse(str(status.startTime)) : Number.NaN;
    const end = str(status.completionTime) ? Date.parse(str(status.completionTime)) : now.getTime();
    const duration = Number.isNaN(start) ? '' : humanDuration(end - start);
    const [names, images] = containerCells(templateSpec(job));
    return {
      cells: [
        job.metadata.name ?? '',
        jobStatus(job),
        completions,
        duration,
        timestampSince(job.metadata.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(spec.selector),
      ],
    };
  },
};

export const cronJobPrinter: Printer = {
  columns: [
    nameColumn(),
    column('Schedule', 'string', 'The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.'),
    column(
      'Timezone',
      'string',
      'The time zone name for the given schedule, see https://en.wikipedia.org/wiki/List_of_tz_database_time_zones.',
    ),
    column(
      'Suspend',
      'boolean',
      'This flag tells the controller to suspend subsequent executions, it does not apply to already started executions.',
    ),
    column('Active', 'integer', 'A list of pointers to currently running jobs.'),
    column(
      'Last Schedule',
      'string',
      'Information when was the last time the job was successfully scheduled.',
    ),
    ageColumn(),
    containersColumn(),
    imagesColumn(),
    selectorColumn('pod count'),
  ],
  print(cj, now) {
    const spec = obj(cj.spec);
    const status = obj(cj.status);
    const jobSpec = obj(obj(spec.jobTemplate).spec);
    const [names, images] = containerCells(obj(obj(jobSpec.template).spec));
    const suspend = typeof spec.suspend === 'boolean' ? (spec.suspend ? 'True' : 'False') : '<unset>';
    const last = str(status.lastScheduleTime) ? timestampSince(str(status.lastScheduleTime), now) : '<none>';
    return {
      cells: [
        cj.metadata.name ?? '',
        str(spec.schedule),
        str(spec.timeZone) || '<none>',
        suspend,
        list(status.active).length,
        last,
        timestampSince(cj.metadata.creationTimestamp, now),
        names,
        images,
        formatLabelSelector(jobSpec.selector),
      ],
    };
  },
};
