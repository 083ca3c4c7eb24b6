import { describe, expect, it } from 'vitest';
import { decodeProtobufObject, isProtobufMediaType } from '../../../api/protobuf/index.js';
import {
  body,
  bool,
  bytesEntry,
  entry,
  fixed32,
  fixed64,
  int32,
  int64,
  intOrString,
  meta,
  msg,
  quantity,
  str,
  time,
} from './wire.js';

// Bodies laid out as kubectl 1.32 sends them (see PROTOBUF-NOTES): every non-pointer scalar is
// written even when zero, so the decoder must drop zeros the way Go's JSON encoder would.
const emptyStatusFields = [str(1, '')];

describe('decodeProtobufObject: kubectl create bodies', () => {
  it('decodes create namespace to the JSON kubectl would send', () => {
    const obj = decodeProtobufObject(
      body('v1', 'Namespace', meta('x'), msg(2), msg(3, ...emptyStatusFields)),
    );
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'x' },
      spec: {},
      status: {},
    });
  });

  it('keeps replicas 0 (a pointer) and drops zero scalars in create deployment', () => {
    const labels = entry(11, 'app', 'web');
    const container = msg(
      2,
      str(1, 'nginx'),
      str(2, 'nginx'),
      str(3, 'sleep'),
      str(3, '1'),
      str(5, ''),
      msg(6, str(1, ''), int32(2, 0), int32(3, 80), str(4, ''), str(5, '')),
      msg(8),
      str(13, ''),
      str(14, ''),
      bool(16, false),
      bool(17, false),
      bool(18, false),
      str(20, ''),
    );
    const podSpec = msg(
      2,
      container,
      str(3, ''),
      str(6, ''),
      str(8, ''),
      str(9, ''),
      str(10, ''),
      bool(11, false),
    );
    const obj = decodeProtobufObject(
      body(
        'apps/v1',
        'Deployment',
        meta('web', labels),
        msg(
          2,
          int32(1, 0),
          msg(2, entry(1, 'app', 'web')),
          msg(3, msg(1, str(1, ''), labels), podSpec),
          msg(4, str(1, '')),
          int32(5, 0),
          bool(7, false),
        ),
        msg(3, int64(1, 0), int32(2, 0), int32(3, 0), int32(4, 0), int32(5, 0), int32(7, 0)),
      ),
    );
    expect(obj).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 0,
        selector: { matchLabels: { app: 'web' } },
        template: {
          metadata: { labels: { app: 'web' } },
          spec: {
            containers: [
              {
                name: 'nginx',
                image: 'nginx',
                command: ['sleep', '1'],
                ports: [{ containerPort: 80 }],
                resources: {},
              },
            ],
          },
        },
        strategy: {},
      },
      status: {},
    });
  });

  it('turns secret bytes into base64 strings', () => {
    const obj = decodeProtobufObject(
      body('v1', 'Secret', meta('s'), bytesEntry(2, 'a', Buffer.from('b')), str(3, '')),
    );
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' } });
  });

  it('keeps empty values of configmap data and base64-encodes binaryData', () => {
    const obj = decodeProtobufObject(
      body(
        'v1',
        'ConfigMap',
        meta('cm'),
        entry(2, 'empty', ''),
        entry(2, 'k', 'v'),
        bytesEntry(3, 'bin', Uint8Array.from([0xff, 0x00])),
      ),
    );
    expect(obj).toEqual({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'cm' },
      data: { empty: '', k: 'v' },
      binaryData: { bin: '/wA=' },
    });
  });

  it('decodes create service nodeport with an int targetPort', () => {
    const port = msg(
      1,
      str(1, '80-8080'),
      str(2, 'TCP'),
      int32(3, 80),
      intOrString(4, 8080),
      int32(5, 30080),
    );
    const obj = decodeProtobufObject(
      body(
        'v1',
        'Service',
        meta('np', entry(11, 'app', 'np')),
        msg(2, port, entry(2, 'app', 'np'), str(3, ''), str(4, 'NodePort'), str(7, ''), str(10, '')),
        msg(3, msg(1)),
      ),
    );
    expect(obj.spec).toEqual({
      ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
      selector: { app: 'np' },
      type: 'NodePort',
    });
    expect(obj.status).toEqual({ loadBalancer: {} });
  });

  it('decodes create job and create cronjob', () => {
    const podTemplate = msg(
      6,
      msg(1),
      msg(2, msg(2, str(1, 'j'), str(2, 'busybox'), str(3, 'date'), msg(8)), str(3, 'Never')),
    );
    const job = decodeProtobufObject(body('batch/v1', 'Job', meta('j'), msg(2, podTemplate), msg(3)));
    expect(job.spec).toEqual({
      template: {
        metadata: {},
        spec: {
          containers: [{ name: 'j', image: 'busybox', command: ['date'], resources: {} }],
          restartPolicy: 'Never',
        },
      },
    });

    const cron = decodeProtobufObject(
      body(
        'batch/v1',
        'CronJob',
        meta('cj'),
        msg(2, str(1, '*/1 * * * *'), str(3, ''), msg(5, meta('cj'), msg(2, podTemplate))),
        msg(3),
      ),
    );
    expect(cron.spec).toEqual({
      schedule: '*/1 * * * *',
      jobTemplate: { metadata: { name: 'cj' }, spec: job.spec },
    });
  });

  it('decodes auth can-i get pods', () => {
    const obj = decodeProtobufObject(
      body(
        'authorization.k8s.io/v1',
        'SelfSubjectAccessReview',
        msg(1),
        msg(
          2,
          msg(
            1,
            str(1, 'default'),
            str(2, 'get'),
            str(3, ''),
            str(4, ''),
            str(5, 'pods'),
            str(6, ''),
            str(7, ''),
          ),
        ),
        msg(3, bool(1, false), str(2, ''), str(3, ''), bool(4, false)),
      ),
    );
    expect(obj).toEqual({
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      metadata: {},
      spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
      status: { allowed: false },
    });
  });

  it('decodes auth whoami', () => {
    const obj = decodeProtobufObject(
      body('authentication.k8s.io/v1', 'SelfSubjectReview', msg(1), msg(2, msg(1, str(1, ''), str(2, '')))),
    );
    expect(obj).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'SelfSubjectReview',
      metadata: {},
      status: { userInfo: {} },
    });
  });

  it('decodes create token with duration, audience and bound object', () => {
    const obj = decodeProtobufObject(
      body(
        'authentication.k8s.io/v1',
        'TokenRequest',
        msg(1),
        msg(2, str(1, 'api'), msg(3, str(1, 'Pod'), str(2, 'v1'), str(3, 'p'), str(4, 'u-1')), int64(4, 600)),
        msg(3, str(1, ''), msg(2)),
      ),
    );
    expect(obj).toEqual({
      apiVersion: 'authentication.k8s.io/v1',
      kind: 'TokenRequest',
      metadata: {},
      spec: {
        audiences: ['api'],
        boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: 'u-1' },
        expirationSeconds: 600,
      },
      status: { token: '' },
    });
  });

  it('keeps value 0 and a negative value in create priorityclass', () => {
    const make = (value: number) =>
      decodeProtobufObject(
        body(
          'scheduling.k8s.io/v1',
          'PriorityClass',
          meta('p'),
          int32(2, value),
          bool(3, false),
          str(4, ''),
          str(5, 'Never'),
        ),
      );
    expect(make(0)).toEqual({
      apiVersion: 'scheduling.k8s.io/v1',
      kind: 'PriorityClass',
      metadata: { name: 'p' },
      value: 0,
      preemptionPolicy: 'Never',
    });
    expect(make(-5).value).toBe(-5);
  });

  it('maps quantities to strings and IntOrString percentages to strings', () => {
    const quota = decodeProtobufObject(
      body(
        'v1',
        'ResourceQuota',
        meta('q'),
        msg(2, msg(1, str(1, 'cpu'), quantity(2, '500m')), str(2, 'BestEffort')),
        msg(3),
      ),
    );
    expect(quota.spec).toEqual({ hard: { cpu: '500m' }, scopes: ['BestEffort'] });

    const pdb = decodeProtobufObject(
      body(
        'policy/v1',
        'PodDisruptionBudget',
        meta('p'),
        msg(2, intOrString(1, '50%'), msg(2, entry(1, 'app', 'web'))),
      ),
    );
    expect(pdb.spec).toEqual({ minAvailable: '50%', selector: { matchLabels: { app: 'web' } } });
  });

  it('inlines IngressRuleValue into the rule, as JSON does', () => {
    const backend = msg(2, msg(4, str(1, 'svc'), msg(2, str(1, ''), int32(2, 8080))));
    const obj = decodeProtobufObject(
      body(
        'networking.k8s.io/v1',
        'Ingress',
        meta('ing'),
        msg(
          2,
          msg(3, str(1, 'foo.com'), msg(2, msg(1, msg(1, str(1, '/bar'), backend, str(3, 'Prefix'))))),
          str(4, 'nginx'),
        ),
        msg(3, msg(1)),
      ),
    );
    expect(obj.spec).toEqual({
      rules: [
        {
          host: 'foo.com',
          http: {
            paths: [
              {
                path: '/bar',
                pathType: 'Prefix',
                backend: { service: { name: 'svc', port: { number: 8080 } } },
              },
            ],
          },
        },
      ],
      ingressClassName: 'nginx',
    });
  });

  it('formats times as RFC 3339 and drops the zero time', () => {
    const obj = decodeProtobufObject(
      body('v1', 'ServiceAccount', msg(1, str(1, 'sa'), time(8, Date.UTC(2024, 0, 2, 3, 4, 5) / 1000))),
    );
    expect(obj.metadata).toEqual({ name: 'sa', creationTimestamp: '2024-01-02T03:04:05Z' });
    expect(decodeProtobufObject(body('v1', 'ServiceAccount', meta('sa'))).metadata).toEqual({ name: 'sa' });
  });

  it('decodes role and rolebinding rules and subjects', () => {
    const role = decodeProtobufObject(
      body(
        'rbac.authorization.k8s.io/v1',
        'Role',
        meta('r'),
        msg(2, str(1, 'get'), str(1, 'list'), str(2, ''), str(3, 'pods'), str(3, 'pods/log')),
      ),
    );
    expect(role.rules).toEqual([
      { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'] },
    ]);
    const binding = decodeProtobufObject(
      body(
        'rbac.authorization.k8s.io/v1',
        'ClusterRoleBinding',
        meta('b'),
        msg(2, str(1, 'ServiceAccount'), str(2, ''), str(3, 'sa'), str(4, 'default')),
        msg(3, str(1, 'rbac.authorization.k8s.io'), str(2, 'ClusterRole'), str(3, 'view')),
      ),
    );
    expect(binding).toMatchObject({
      kind: 'ClusterRoleBinding',
      subjects: [{ kind: 'ServiceAccount', name: 'sa', namespace: 'default' }],
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    });
  });

  it('always returns a metadata object, even when the message has none', () => {
    const obj = decodeProtobufObject(body('v1', 'ServiceAccount'));
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: {} });
  });
});

describe('decodeProtobufObject: wire details', () => {
  it('skips unknown field numbers of every wire type', () => {
    const obj = decodeProtobufObject(
      body(
        'v1',
        'Namespace',
        int64(99, -1),
        fixed64(98, 7),
        fixed32(97, 7),
        str(96, 'ignored'),
        msg(1, str(1, 'x'), int32(50, 3), msg(51, str(1, 'nested'))),
      ),
    );
    expect(obj).toEqual({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' } });
  });

  it('reads 10-byte negative varints for int32 and int64 fields', () => {
    const obj = decodeProtobufObject(
      body(
        'v1',
        'Pod',
        meta('p'),
        msg(2, int64(4, -1), int32(25, -7), msg(14, int64(2, -42)), msg(2, str(1, 'c'))),
      ),
    );
    expect(obj.spec).toEqual({
      terminationGracePeriodSeconds: -1,
      priority: -7,
      securityContext: { runAsUser: -42 },
      containers: [{ name: 'c' }],
    });
  });

  it('accepts packed repeated integers as well as unpacked ones', () => {
    const packed = (field: number, values: number[]) => (w: import('protobufjs').Writer) => {
      w.uint32((field << 3) | 2).fork();
      for (const v of values) w.int64(v);
      w.ldelim();
    };
    const obj = decodeProtobufObject(
      body('v1', 'Pod', meta('p'), msg(2, msg(14, packed(4, [1, 2]), int64(4, 3)))),
    );
    expect(obj.spec).toEqual({ securityContext: { supplementalGroups: [1, 2, 3] } });
  });

  it('keeps present false/0/"" for pointer fields and {} for present empty messages', () => {
    const container = msg(
      2,
      str(1, 'c'),
      msg(15, bool(2, false), bool(6, false), int64(4, 0)),
      msg(10, msg(1, msg(2, str(1, ''), intOrString(2, 0))), int64(7, 0)),
    );
    const volume = msg(1, str(1, 'v'), msg(2, msg(2, str(1, ''))));
    const obj = decodeProtobufObject(
      body('v1', 'Pod', meta('p'), msg(2, volume, container, bool(21, false), bool(11, false))),
    );
    expect(obj.spec).toEqual({
      volumes: [{ name: 'v', emptyDir: {} }],
      containers: [
        {
          name: 'c',
          securityContext: { privileged: false, readOnlyRootFilesystem: false, runAsUser: 0 },
          livenessProbe: { httpGet: { port: 0 }, terminationGracePeriodSeconds: 0 },
        },
      ],
      automountServiceAccountToken: false,
    });
  });

  it('decodes managedFields with their fieldsV1 JSON', () => {
    const fields = JSON.stringify({ 'f:metadata': { 'f:labels': {} } });
    const managed = msg(
      17,
      str(1, 'kubectl'),
      str(2, 'Update'),
      str(3, 'v1'),
      str(6, 'FieldsV1'),
      msg(7, str(1, fields)),
    );
    const obj = decodeProtobufObject(body('v1', 'ConfigMap', msg(1, str(1, 'cm'), managed)));
    expect(obj.metadata.managedFields).toEqual([
      {
        manager: 'kubectl',
        operation: 'Update',
        apiVersion: 'v1',
        fieldsType: 'FieldsV1',
        fieldsV1: JSON.parse(fields),
      },
    ]);
  });
});

describe('isProtobufMediaType', () => {
  it('recognises the protobuf content type with or without parameters', () => {
    expect(isProtobufMediaType('application/vnd.kubernetes.protobuf')).toBe(true);
    expect(isProtobufMediaType('Application/Vnd.Kubernetes.Protobuf; charset=binary')).toBe(true);
    expect(isProtobufMediaType('application/json')).toBe(false);
    expect(isProtobufMediaType(undefined)).toBe(false);
  });
});
