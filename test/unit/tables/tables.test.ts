import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { RESOURCES } from '../../../api/resources.js';
import { type Table, toTable } from '../../../api/tables/index.js';

const NOW = new Date('2024-05-01T12:00:00Z');
const CREATED = '2024-05-01T11:50:00Z';
const POD = { group: '', kind: 'Pod' };

function meta(name: string, extra: Partial<KubeObject['metadata']> = {}): KubeObject['metadata'] {
  return { name, namespace: 'default', creationTimestamp: CREATED, resourceVersion: '7', ...extra };
}

function cellsByColumn(table: Table, row = 0): Record<string, unknown> {
  return Object.fromEntries(table.columnDefinitions.map((c, i) => [c.name, table.rows[row].cells[i]]));
}

function pod(
  status: Record<string, unknown>,
  spec: Record<string, unknown> = {},
  extra: Partial<KubeObject['metadata']> = {},
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: meta('web', extra),
    spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec },
    status,
  };
}

function podRow(p: KubeObject): Record<string, unknown> {
  return cellsByColumn(toTable(POD, [p], { now: NOW }));
}

describe('toTable', () => {
  it('builds a meta.k8s.io/v1 Table with PartialObjectMetadata rows by default', () => {
    const p = pod({ phase: 'Pending' });
    const t = toTable(POD, [p], { now: NOW, resourceVersion: '42', continue: 'tok' });
    expect(t.kind).toBe('Table');
    expect(t.apiVersion).toBe('meta.k8s.io/v1');
    expect(t.metadata).toEqual({ resourceVersion: '42', continue: 'tok' });
    expect(t.rows[0].object).toEqual({
      kind: 'PartialObjectMetadata',
      apiVersion: 'meta.k8s.io/v1',
      metadata: p.metadata,
    });
  });

  it('includes the full object or none on request', () => {
    const p = pod({ phase: 'Pending' });
    expect(toTable(POD, [p], { now: NOW, includeObject: 'Object' }).rows[0].object).toBe(p);
    expect(toTable(POD, [p], { now: NOW, includeObject: 'None' }).rows[0].object).toBeUndefined();
  });

  it('serializes every column field and flags wide columns with priority 1', () => {
    const t = toTable(POD, [], { now: NOW });
    expect(t.columnDefinitions.map((c) => [c.name, c.priority])).toEqual([
      ['Name', 0],
      ['Ready', 0],
      ['Status', 0],
      ['Restarts', 0],
      ['Age', 0],
      ['IP', 1],
      ['Node', 1],
      ['Nominated Node', 1],
      ['Readiness Gates', 1],
    ]);
    for (const c of t.columnDefinitions)
      expect(Object.keys(c).sort()).toEqual(['description', 'format', 'name', 'priority', 'type']);
    expect(t.columnDefinitions[0].format).toBe('name');
    expect(t.rows).toEqual([]);
  });

  it('has a printer or the Name/Age default for every served resource', () => {
    for (const r of RESOURCES) {
      const t = toTable(r, [{ metadata: meta('x') }], { now: NOW });
      expect(t.rows[0].cells).toHaveLength(t.columnDefinitions.length);
    }
    const widget = toTable({ group: 'example.com', kind: 'Widget' }, [{ metadata: meta('x') }], { now: NOW });
    expect(widget.columnDefinitions.map((c) => c.name)).toEqual(['Name', 'Age']);
    expect(widget.rows[0].cells).toEqual(['x', '10m']);
  });
});

describe('pod rows', () => {
  it('shows a pending pod', () => {
    expect(podRow(pod({ phase: 'Pending' }))).toMatchObject({
      Name: 'web',
      Ready: '0/1',
      Status: 'Pending',
      Restarts: '0',
      Age: '10m',
      IP: '<none>',
      Node: '<none>',
      'Nominated Node': '<none>',
      'Readiness Gates': '<none>',
    });
  });

  it('shows ContainerCreating from the waiting reason', () => {
    const p = pod(
      {
        phase: 'Pending',
        containerStatuses: [
          { name: 'app', ready: false, restartCount: 0, state: { waiting: { reason: 'ContainerCreating' } } },
        ],
      },
      { nodeName: 'n1' },
    );
    expect(podRow(p)).toMatchObject({ Status: 'ContainerCreating', Ready: '0/1', Node: 'n1' });
  });

  it('shows a running ready pod as 1/1 Running with its IP', () => {
    const p = pod(
      {
        phase: 'Running',
        podIP: '10.244.1.5',
        podIPs: [{ ip: '10.244.1.5' }],
        conditions: [{ type: 'Ready', status: 'True' }],
        containerStatuses: [
          { name: 'app', ready: true, restartCount: 0, state: { running: { startedAt: CREATED } } },
        ],
      },
      { nodeName: 'n1' },
    );
    expect(podRow(p)).toMatchObject({ Ready: '1/1', Status: 'Running', Restarts: '0', IP: '10.244.1.5' });
  });

  it('shows CrashLoopBackOff with restarts and when the last one ended', () => {
    const p = pod({
      phase: 'Running',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 5,
          state: { waiting: { reason: 'CrashLoopBackOff' } },
          lastState: { terminated: { exitCode: 1, reason: 'Error', finishedAt: '2024-05-01T11:55:00Z' } },
        },
      ],
    });
    expect(podRow(p)).toMatchObject({ Ready: '0/1', Status: 'CrashLoopBackOff', Restarts: '5 (5m ago)' });
  });

  it('shows Completed and marks the row condition for a succeeded pod', () => {
    const p = pod({
      phase: 'Succeeded',
      containerStatuses: [
        {
          name: 'app',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode: 0, reason: 'Completed' } },
        },
      ],
    });
    const t = toTable(POD, [p], { now: NOW });
    expect(cellsByColumn(t)).toMatchObject({ Status: 'Completed', Ready: '0/1' });
    expect(t.rows[0].conditions).toEqual([
      {
        type: 'Completed',
        status: 'True',
        reason: 'Succeeded',
        message: 'The pod has completed successfully.',
      },
    ]);
  });

  it('shows ExitCode or Signal when a terminated container gives no reason', () => {
    const exited = pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 3 } } }],
    });
    expect(podRow(exited).Status).toBe('ExitCode:3');
    const signalled = pod({
      phase: 'Failed',
      containerStatuses: [{ name: 'app', state: { terminated: { exitCode: 137, signal: 9 } } }],
    });
    expect(podRow(signalled).Status).toBe('Signal:9');
  });

  it('shows Terminating for a pod being deleted', () => {
    const p = pod(
      { phase: 'Running', containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }] },
      {},
      { deletionTimestamp: '2024-05-01T11:59:00Z' },
    );
    expect(podRow(p).Status).toBe('Terminating');
  });

  it('shows Unknown for a deleted pod on a lost node', () => {
    const p = pod(
      { phase: 'Running', reason: 'NodeLost' },
      {},
      { deletionTimestamp: '2024-05-01T11:59:00Z' },
    );
    expect(podRow(p).Status).toBe('Unknown');
  });

  it('shows init container progress', () => {
    const spec = { initContainers: [{ name: 'i1' }, { name: 'i2' }] };
    const running = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', state: { terminated: { exitCode: 0, reason: 'Completed' } } },
          { name: 'i2', state: { running: {} } },
        ],
        containerStatuses: [{ name: 'app', state: { waiting: { reason: 'PodInitializing' } } }],
      },
      spec,
    );
    expect(podRow(running).Status).toBe('Init:1/2');
    const failing = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [
          { name: 'i1', restartCount: 2, state: { waiting: { reason: 'CrashLoopBackOff' } } },
        ],
      },
      spec,
    );
    expect(podRow(failing)).toMatchObject({ Status: 'Init:CrashLoopBackOff', Restarts: '2' });
    const errored = pod(
      {
        phase: 'Pending',
        initContainerStatuses: [{ name: 'i1', state: { terminated: { exitCode: 1, reason: 'Error' } } }],
      },
      spec,
    );
    expect(podRow(errored).Status).toBe('Init:Error');
  });

  it('counts ready restartable init containers (sidecars) in Ready', () => {
    const p = pod(
      {
        phase: 'Running',
        conditions: [{ type: 'Initialized', status: 'True' }],
        initContainerStatuses: [{ name: 'proxy', started: true, ready: true, state: { running: {} } }],
        containerStatuses: [{ name: 'app', ready: true, state: { running: {} } }],
      },
      { initContainers: [{ name: 'proxy', restartPolicy: 'Always' }] },
    );
    expect(podRow(p)).toMatchObject({ Ready: '2/2', Status: 'Running' });
  });

  it('shows SchedulingGated and readiness gates', () => {
    const p = pod(
      {
        phase: 'Pending',
        conditions: [
          { type: 'PodScheduled', status: 'False', reason: 'SchedulingGated' },
          { type: 'x/gate', status: 'True' },
        ],
      },
      { readinessGates: [{ conditionType: 'x/gate' }, { conditionType: 'y/gate' }] },
    );
    expect(podRow(p)).toMatchObject({ Status: 'SchedulingGated', 'Readiness Gates': '1/2' });
  });
});

describe('other kinds', () => {
  it('prints service types, ports and external IPs', () => {
    const svc = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject => ({
      metadata: meta('s'),
      spec,
      status,
    });
    const res = { group: '', kind: 'Service' };
    const t = toTable(
      res,
      [
        svc({
          type: 'ClusterIP',
          clusterIP: '10.96.0.10',
          clusterIPs: ['10.96.0.10'],
          ports: [{ port: 80, protocol: 'TCP' }],
          selector: { app: 'web', tier: 'fe' },
        }),
        svc({
          type: 'NodePort',
          clusterIPs: ['10.96.0.11'],
          ports: [
            { port: 80, nodePort: 30080, protocol: 'TCP' },
            { port: 53, protocol: 'UDP' },
          ],
        }),
        svc({
          type: 'LoadBalancer',
          clusterIPs: ['10.96.0.12'],
          ports: [{ port: 443, nodePort: 31443, protocol: 'TCP' }],
        }),
        svc(
          { type: 'LoadBalancer', clusterIPs: ['10.96.0.13'], ports: [] },
          { loadBalancer: { ingress: [{ ip: '192.0.2.1' }] } },
        ),
        svc({ type: 'ExternalName', externalName: 'example.com' }),
      ],
      { now: NOW },
    );
    expect(t.columnDefinitions.map((c) => c.name)).toEqual([
      'Name',
      'Type',
      'Cluster-IP',
      'External-IP',
      'Port(s)',
      'Age',
      'Selector',
    ]);
    expect(t.columnDefinitions.find((c) => c.name === 'Selector')?.priority).toBe(1);
    expect(t.rows.map((r) => r.cells.slice(1, 5))).toEqual([
      ['ClusterIP', '10.96.0.10', '<none>', '80/TCP'],
      ['NodePort', '10.96.0.11', '<none>', '80:30080/TCP,53/UDP'],
      ['LoadBalancer', '10.96.0.12', '<pending>', '443:31443/TCP'],
      ['LoadBalancer', '10.96.0.13', '192.0.2.1', '<none>'],
      ['ExternalName', '<none>', 'example.com', '<none>'],
    ]);
    expect(t.rows[0].cells[6]).toBe('app=web,tier=fe');
    expect(t.rows[1].cells[6]).toBe('<none>');
  });

  it('prints a deployment ready column and wide workload columns', () => {
    const d: KubeObject = {
      metadata: meta('web'),
      spec: {
        replicas: 3,
        selector: { matchLabels: { app: 'web' } },
        template: {
          spec: {
            containers: [
              { name: 'app', image: 'nginx:1' },
              { name: 'log', image: 'busybox' },
            ],
          },
        },
      },
      status: { readyReplicas: 2, updatedReplicas: 3, availableReplicas: 2 },
    };
    const t = toTable({ group: 'apps', kind: 'Deployment' }, [d], { now: NOW });
    expect(cellsByColumn(t)).toEqual({
      Name: 'web',
      Ready: '2/3',
      'Up-to-date': 3,
      Available: 2,
      Age: '10m',
      Containers: 'app,log',
      Images: 'nginx:1,busybox',
      Selector: 'app=web',
    });
    expect(t.columnDefinitions.filter((c) => c.priority === 1).map((c) => c.name)).toEqual([
      'Containers',
      'Images',
      'Selector',
    ]);
    expect(t.columnDefinitions.find((c) => c.name === 'Up-to-date')?.type).toBe('integer');
  });

  it('prints node status, roles and addresses', () => {
    const node: KubeObject = {
      metadata: {
        name: 'n1',
        creationTimestamp: CREATED,
        labels: { 'node-role.kubernetes.io/control-plane': '', 'node-role.kubernetes.io/worker': '' },
      },
      spec: { unschedulable: true },
      status: {
        conditions: [{ type: 'Ready', status: 'True' }],
        addresses: [
          { type: 'InternalIP', address: '192.168.1.10' },
          { type: 'Hostname', address: 'n1' },
        ],
        nodeInfo: {
          kubeletVersion: 'v1.32.0',
          osImage: 'Debian',
          kernelVersion: '6.1',
          containerRuntimeVersion: 'containerd://1.7',
        },
      },
    };
    expect(cellsByColumn(toTable({ group: '', kind: 'Node' }, [node], { now: NOW }))).toEqual({
      Name: 'n1',
      Status: 'Ready,SchedulingDisabled',
      Roles: 'control-plane,worker',
      Age: '10m',
      Version: 'v1.32.0',
      'Internal-IP': '192.168.1.10',
      'External-IP': '<none>',
      'OS-Image': 'Debian',
      'Kernel-Version': '6.1',
      'Container-Runtime': 'containerd://1.7',
    });
    const bare = cellsByColumn(
      toTable({ group: '', kind: 'Node' }, [{ metadata: { name: 'n2' } }], { now: NOW }),
    );
    expect(bare).toMatchObject({
      Status: 'Unknown',
      Roles: '<none>',
      Age: '<unknown>',
      'OS-Image': '<unknown>',
    });
    const notReady = {
      metadata: { name: 'n3' },
      status: { conditions: [{ type: 'Ready', status: 'Unknown' }] },
    };
    expect(cellsByColumn(toTable({ group: '', kind: 'Node' }, [notReady], { now: NOW })).Status).toBe(
      'NotReady',
    );
  });

  it('caps endpoints at three with a count of the rest', () => {
    const ep: KubeObject = {
      metadata: meta('web'),
      subsets: [
        {
          addresses: [
            { ip: '10.0.0.1' },
            { ip: '10.0.0.2' },
            { ip: '10.0.0.3' },
            { ip: '10.0.0.4' },
            { ip: 'fd00::5' },
          ],
          ports: [{ port: 80 }],
        },
      ],
    };
    const t = toTable({ group: '', kind: 'Endpoints' }, [ep, { metadata: meta('empty') }], { now: NOW });
    expect(t.rows[0].cells[1]).toBe('10.0.0.1:80,10.0.0.2:80,10.0.0.3:80 + 2 more...');
    expect(t.rows[1].cells[1]).toBe('<none>');
  });

  it('prints job status, completions and duration', () => {
    const job = (
      status: Record<string, unknown>,
      spec: Record<string, unknown> = { completions: 1 },
    ): KubeObject => ({
      metadata: meta('j'),
      spec: { ...spec, template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } },
      status,
    });
    const t = toTable(
      { group: 'batch', kind: 'Job' },
      [
        job({
          succeeded: 1,
          startTime: '2024-05-01T11:50:00Z',
          completionTime: '2024-05-01T11:50:07Z',
          conditions: [{ type: 'Complete', status: 'True' }],
        }),
        job({ startTime: '2024-05-01T11:57:00Z', active: 1 }, { parallelism: 2 }),
        job({ conditions: [{ type: 'Failed', status: 'True' }] }),
        job({ conditions: [{ type: 'Suspended', status: 'True' }] }),
      ],
      { now: NOW },
    );
    expect(t.rows.map((r) => r.cells.slice(1, 4))).toEqual([
      ['Complete', '1/1', '7s'],
      ['Running', '0/1 of 2', '3m'],
      ['Failed', '0/1', ''],
      ['Suspended', '0/1', ''],
    ]);
  });

  it('prints events with their object and count', () => {
    const ev: KubeObject = {
      metadata: meta('web.1'),
      involvedObject: { kind: 'Pod', name: 'web', fieldPath: 'spec.containers{app}' },
      reason: 'Pulled',
      message: ' Successfully pulled image ',
      type: 'Normal',
      source: { component: 'kubelet', host: 'n1' },
      firstTimestamp: '2024-05-01T11:58:00Z',
      lastTimestamp: '2024-05-01T11:59:00Z',
      count: 3,
    };
    expect(cellsByColumn(toTable({ group: '', kind: 'Event' }, [ev], { now: NOW }))).toEqual({
      'Last Seen': '60s',
      Type: 'Normal',
      Reason: 'Pulled',
      Object: 'pod/web',
      Subobject: 'spec.containers{app}',
      Source: 'kubelet, n1',
      Message: 'Successfully pulled image',
      'First Seen': '2m',
      Count: 3,
      Name: 'web.1',
    });
  });

  it('prints configmap and secret data counts', () => {
    const cm = { metadata: meta('c'), data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } };
    expect(toTable({ group: '', kind: 'ConfigMap' }, [cm], { now: NOW }).rows[0].cells).toEqual([
      'c',
      3,
      '10m',
    ]);
    const secret = {
      metadata: meta('s'),
      type: 'kubernetes.io/tls',
      data: { 'tls.crt': 'x', 'tls.key': 'y' },
    };
    expect(toTable({ group: '', kind: 'Secret' }, [secret], { now: NOW }).rows[0].cells).toEqual([
      's',
      'kubernetes.io/tls',
      2,
      '10m',
    ]);
  });

  it('prints cron jobs with suspend, active and last schedule', () => {
    const cj: KubeObject = {
      metadata: meta('cj'),
      spec: {
        schedule: '*/5 * * * *',
        suspend: false,
        jobTemplate: { spec: { template: { spec: { containers: [{ name: 'c', image: 'busybox' }] } } } },
      },
      status: { active: [{ name: 'cj-1' }], lastScheduleTime: '2024-05-01T11:55:00Z' },
    };
    expect(toTable({ group: 'batch', kind: 'CronJob' }, [cj], { now: NOW }).rows[0].cells).toEqual([
      'cj',
      '*/5 * * * *',
      '<none>',
      'False',
      1,
      '5m',
      '10m',
      'c',
      'busybox',
      '<none>',
    ]);
  });

  it('prints controller revisions with their owning controller', () => {
    const cr: KubeObject = {
      metadata: meta('web-5d4b', {
        ownerReferences: [
          { apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'web', uid: 'u', controller: true },
        ],
      }),
      revision: 4,
    };
    expect(toTable({ group: 'apps', kind: 'ControllerRevision' }, [cr], { now: NOW }).rows[0].cells).toEqual([
      'web-5d4b',
      'daemonset.apps/web',
      4,
      '10m',
    ]);
  });

  it('prints resource quota requests and limits from status', () => {
    const rq: KubeObject = {
      metadata: meta('q'),
      status: {
        hard: { 'requests.cpu': '1', 'limits.memory': '1Gi', pods: '10' },
        used: { 'requests.cpu': '0.5', 'limits.memory': '512Mi' },
      },
    };
    expect(toTable({ group: '', kind: 'ResourceQuota' }, [rq], { now: NOW }).rows[0].cells).toEqual([
      'q',
      '10m',
      'pods: 0/10, requests.cpu: 500m/1',
      'limits.memory: 512Mi/1Gi',
    ]);
  });

  it('prints limit ranges with an RFC 3339 creation time', () => {
    const t = toTable({ group: '', kind: 'LimitRange' }, [{ metadata: meta('lr') }], { now: NOW });
    expect(t.columnDefinitions.map((c) => [c.name, c.type])).toEqual([
      ['Name', 'string'],
      ['Created At', 'date'],
    ]);
    expect(t.rows[0].cells).toEqual(['lr', '2024-05-01T11:50:00Z']);
  });

  it('prints events.k8s.io events like core events', () => {
    const ev: KubeObject = {
      metadata: meta('e'),
      regarding: { kind: 'Node', name: 'n1' },
      reason: 'Ready',
      note: 'node is ready',
      type: 'Normal',
      reportingController: 'kubelet',
      eventTime: '2024-05-01T11:59:30.000000Z',
    };
    const row = cellsByColumn(toTable({ group: 'events.k8s.io', kind: 'Event' }, [ev], { now: NOW }));
    expect(row).toMatchObject({
      'Last Seen': '30s',
      Object: 'node/n1',
      Message: 'node is ready',
      Source: 'kubelet',
      Count: 1,
    });
  });
});

describe('PodDisruptionBudget table', () => {
  it('shows min available, max unavailable and allowed disruptions as kubectl does', () => {
    const pdb = (spec: Record<string, unknown>, allowed?: number): KubeObject => ({
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: meta('web-pdb'),
      spec,
      ...(allowed === undefined ? {} : { status: { disruptionsAllowed: allowed } }),
    });
    const row = (o: KubeObject) =>
      cellsByColumn(toTable({ group: 'policy', kind: 'PodDisruptionBudget' }, [o], { now: NOW }));
    expect(row(pdb({ minAvailable: 2 }, 1))).toEqual({
      Name: 'web-pdb',
      'Min Available': '2',
      'Max Unavailable': 'N/A',
      'Allowed Disruptions': 1,
      Age: '10m',
    });
    expect(row(pdb({ maxUnavailable: '25%' }))).toMatchObject({
      'Min Available': 'N/A',
      'Max Unavailable': '25%',
      'Allowed Disruptions': 0,
    });
  });
});
