import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../api/object.js';
import { decodeProtobufObject } from '../../../api/protobuf/index.js';

// Request bodies captured from kubectl v1.32.4 (`kubectl create …` against a recording stub server);
// see fixtures/README.md. Each must decode to what the same command sends as JSON.
const fixtures = new URL('./fixtures/', import.meta.url);
const load = (name: string): KubeObject =>
  decodeProtobufObject(Buffer.from(readFileSync(new URL(`${name}.hex`, fixtures), 'utf8').trim(), 'hex'));

describe('kubectl 1.32 protobuf bodies', () => {
  it.each<[string, string, object]>([
    [
      'namespace',
      'create namespace x',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'x' }, spec: {}, status: {} },
    ],
    [
      'deployment',
      'create deployment web --image=nginx --replicas=0 --port=80 -- sleep 1',
      {
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
      },
    ],
    [
      'deployment-default',
      'create deployment d2 --image=nginx --image=redis',
      {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd2', labels: { app: 'd2' } },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'd2' } },
          template: {
            metadata: { labels: { app: 'd2' } },
            spec: {
              containers: [
                { name: 'nginx', image: 'nginx', resources: {} },
                { name: 'redis', image: 'redis', resources: {} },
              ],
            },
          },
          strategy: {},
        },
        status: {},
      },
    ],
    [
      'secret-generic',
      'create secret generic s --from-literal=a=b',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's' }, data: { a: 'Yg==' } },
    ],
    [
      'secret-binary',
      'create secret generic sb --from-file=f=<ff 00 01> --type=Opaque',
      { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'sb' }, data: { f: '/wAB' }, type: 'Opaque' },
    ],
    [
      'configmap',
      'create configmap cm --from-literal=k=v --from-literal=empty=',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'cm' }, data: { empty: '', k: 'v' } },
    ],
    [
      'configmap-binary',
      'create configmap bin --from-file=f=<ff 00 01> --from-literal=t=text',
      {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'bin' },
        data: { t: 'text' },
        binaryData: { f: '/wAB' },
      },
    ],
    [
      'service-nodeport',
      'create service nodeport np --tcp=80:8080 --node-port=30080',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'np', labels: { app: 'np' } },
        spec: {
          ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080, nodePort: 30080 }],
          selector: { app: 'np' },
          type: 'NodePort',
        },
        status: { loadBalancer: {} },
      },
    ],
    [
      'service-clusterip-none',
      'create service clusterip headless --clusterip=None',
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'headless', labels: { app: 'headless' } },
        spec: { selector: { app: 'headless' }, clusterIP: 'None', type: 'ClusterIP' },
        status: { loadBalancer: {} },
      },
    ],
    [
      'job',
      'create job j --image=busybox -- echo hi',
      {
        apiVersion: 'batch/v1',
        kind: 'Job',
        metadata: { name: 'j' },
        spec: {
          template: {
            metadata: {},
            spec: {
              containers: [{ name: 'j', image: 'busybox', command: ['echo', 'hi'], resources: {} }],
              restartPolicy: 'Never',
            },
          },
        },
        status: {},
      },
    ],
    [
      'cronjob',
      "create cronjob cj --image=busybox --schedule='*/1 * * * *' -- date",
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'cj' },
        spec: {
          schedule: '*/1 * * * *',
          jobTemplate: {
            metadata: { name: 'cj' },
            spec: {
              template: {
                metadata: {},
                spec: {
                  containers: [{ name: 'cj', image: 'busybox', command: ['date'], resources: {} }],
                  restartPolicy: 'OnFailure',
                },
              },
            },
          },
        },
        status: {},
      },
    ],
    [
      'serviceaccount',
      'create serviceaccount sa',
      { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'sa' } },
    ],
    [
      'role',
      'create role r --verb=get,list --resource=pods,pods/log,deployments.apps --resource-name=a',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: { name: 'r' },
        rules: [
          { verbs: ['get', 'list'], apiGroups: [''], resources: ['pods', 'pods/log'], resourceNames: ['a'] },
          { verbs: ['get', 'list'], apiGroups: ['apps'], resources: ['deployments'], resourceNames: ['a'] },
        ],
      },
    ],
    [
      'clusterrole-agg',
      'create clusterrole agg --aggregation-rule=rbac.example.com/aggregate=true',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'ClusterRole',
        metadata: { name: 'agg' },
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { 'rbac.example.com/aggregate': 'true' } }],
        },
      },
    ],
    [
      'rolebinding',
      'create rolebinding rb --role=r --user=alice --group=devs --serviceaccount=default:sa',
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'rb' },
        subjects: [
          { kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: 'alice' },
          { kind: 'Group', apiGroup: 'rbac.authorization.k8s.io', name: 'devs' },
          { kind: 'ServiceAccount', name: 'sa', namespace: 'default' },
        ],
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'r' },
      },
    ],
    [
      'priorityclass',
      'create priorityclass high --value=0 --description=d --preemption-policy=Never',
      {
        apiVersion: 'scheduling.k8s.io/v1',
        kind: 'PriorityClass',
        metadata: { name: 'high' },
        value: 0,
        description: 'd',
        preemptionPolicy: 'Never',
      },
    ],
    [
      'quota',
      'create quota q --hard=cpu=1,pods=10 --scopes=BestEffort',
      {
        apiVersion: 'v1',
        kind: 'ResourceQuota',
        metadata: { name: 'q' },
        spec: { hard: { cpu: '1', pods: '10' }, scopes: ['BestEffort'] },
        status: {},
      },
    ],
    [
      'pdb',
      'create pdb p --selector=app=web --min-available=50%',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'p' },
        spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } } },
        status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
      },
    ],
    [
      'pdb-max',
      'create pdb p2 --selector=app=web --max-unavailable=0',
      {
        apiVersion: 'policy/v1',
        kind: 'PodDisruptionBudget',
        metadata: { name: 'p2' },
        spec: { maxUnavailable: 0, selector: { matchLabels: { app: 'web' } } },
        status: { disruptionsAllowed: 0, currentHealthy: 0, desiredHealthy: 0, expectedPods: 0 },
      },
    ],
    [
      'ingress',
      'create ingress ing --class=nginx --rule="foo.com/bar*=svc:8080,tls=sec" --rule="/x=svc2:http" --annotation=a=b --default-backend=def:80',
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'Ingress',
        metadata: { name: 'ing', annotations: { a: 'b' } },
        spec: {
          defaultBackend: { service: { name: 'def', port: { number: 80 } } },
          tls: [{ hosts: ['foo.com'], secretName: 'sec' }],
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
            {
              http: {
                paths: [
                  {
                    path: '/x',
                    pathType: 'Exact',
                    backend: { service: { name: 'svc2', port: { name: 'http' } } },
                  },
                ],
              },
            },
          ],
          ingressClassName: 'nginx',
        },
        status: { loadBalancer: {} },
      },
    ],
    [
      'token',
      'create token default --duration=10m --audience=api --bound-object-kind=Pod --bound-object-name=p --bound-object-uid=123',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: {
          audiences: ['api'],
          boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'p', uid: '123' },
          expirationSeconds: 600,
        },
        status: { token: '' },
      },
    ],
    [
      'token-bare',
      'create token default',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'TokenRequest',
        metadata: {},
        spec: {},
        status: { token: '' },
      },
    ],
    [
      'can-i',
      'auth can-i get pods',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { resourceAttributes: { namespace: 'default', verb: 'get', resource: 'pods' } },
        status: { allowed: false },
      },
    ],
    [
      'can-i-nonresource',
      'auth can-i get /healthz',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        metadata: {},
        spec: { nonResourceAttributes: { path: '/healthz', verb: 'get' } },
        status: { allowed: false },
      },
    ],
    [
      'can-i-list',
      'auth can-i --list',
      {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        metadata: {},
        spec: { namespace: 'default' },
        status: { incomplete: false },
      },
    ],
    [
      'whoami',
      'auth whoami',
      {
        apiVersion: 'authentication.k8s.io/v1',
        kind: 'SelfSubjectReview',
        metadata: {},
        status: { userInfo: {} },
      },
    ],
  ])('%s (kubectl %s)', (name, _command, expected) => {
    expect(load(name)).toEqual(expected);
  });

  it('decodes the docker-registry secret to its .dockerconfigjson', () => {
    const secret = load('secret-docker');
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const data = secret.data as Record<string, string>;
    expect(JSON.parse(Buffer.from(data['.dockerconfigjson'], 'base64').toString('utf8'))).toEqual({
      auths: { 'r.io': { username: 'u', password: 'p', auth: Buffer.from('u:p').toString('base64') } },
    });
  });

  it('decodes the whole pod template kubectl copies for create job --from=cronjob', () => {
    // The stub served fixtures/rich-cronjob.json as the CronJob; kubectl sent its pod template back.
    const cron = JSON.parse(readFileSync(new URL('rich-cronjob.json', fixtures), 'utf8'));
    const jobSpec = cron.spec.jobTemplate.spec;
    const expectedTemplate = structuredClone(jobSpec.template);
    // What Go's JSON encoder would make of the same structs: omitempty drops `value: ""`,
    // and a non-pointer `resources` struct is always written.
    const containers = [...expectedTemplate.spec.containers, ...expectedTemplate.spec.initContainers];
    for (const c of containers) {
      c.resources ??= {};
      for (const env of c.env ?? []) if (env.value === '') delete env.value;
    }

    const job = load('job-from-cronjob');
    expect(job.metadata).toEqual({
      name: 'manual',
      labels: { tier: 'batch' },
      annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
      ownerReferences: [
        { kind: 'CronJob', name: 'rich', uid: cron.metadata.uid, apiVersion: 'batch/v1', controller: true },
      ],
    });
    expect(job.spec).toEqual({
      parallelism: jobSpec.parallelism,
      completions: jobSpec.completions,
      backoffLimit: 0,
      ttlSecondsAfterFinished: jobSpec.ttlSecondsAfterFinished,
      template: expectedTemplate,
    });
  });
});
