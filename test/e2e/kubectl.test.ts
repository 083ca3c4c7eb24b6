import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type KubectlResult, kubectlFor } from '../support/kubectl.js';
import { startSkiffServer, type TestServer } from '../support/skiff-server.js';

let server: TestServer;
let kubectl: (args: string[], stdin?: string, timeoutMs?: number) => Promise<KubectlResult>;

const ok = (r: KubectlResult) => {
  if (r.code !== 0) throw new Error(`kubectl failed (${r.code}): ${r.stderr}`);
  return r.stdout;
};

beforeAll(async () => {
  server = await startSkiffServer();
  kubectl = kubectlFor(server.kubeconfig);
});

afterAll(async () => {
  await server?.stop();
});

const deployment = (image: string, extra = '') => `
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: main
        image: ${image}
        ports: [{containerPort: 80}]
      - name: sidecar
        image: busybox:1.36
        command: [sleep, "3600"]${extra}
`;

describe('kubectl against skiff server', () => {
  it('reports version 1.32 and the system namespaces', async () => {
    expect(ok(await kubectl(['version', '-o', 'json']))).toContain('"minor": "32"');
    const out = ok(await kubectl(['get', 'namespaces']));
    for (const ns of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
      expect(out).toMatch(new RegExp(`^${ns}\\s+Active`, 'm'));
    expect(out.split('\n')[0]).toMatch(/^NAME\s+STATUS\s+AGE/);
  });

  it('has the kubernetes service on the first service IP', async () => {
    const out = ok(await kubectl(['get', 'svc', 'kubernetes', '-n', 'default']));
    expect(out).toMatch(/kubernetes\s+ClusterIP\s+10\.96\.0\.1\s+<none>\s+443\/TCP/);
  });

  it('lists api-resources and api-versions', async () => {
    const res = ok(await kubectl(['api-resources']));
    expect(res).toMatch(/^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/m);
    expect(res).toMatch(/^pods\s+po\s+v1\s+true\s+Pod/m);
    const versions = ok(await kubectl(['api-versions']));
    expect(versions).toContain('apps/v1');
    expect(versions).toContain('coordination.k8s.io/v1');
  });

  it('creates, gets and lists with table, yaml, json and wide output', async () => {
    ok(await kubectl(['create', '-f', '-'], deployment('nginx:1.25')));
    const table = ok(await kubectl(['get', 'deploy']));
    expect(table).toMatch(/^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    expect(table).toMatch(/^web\s+0\/2\s+0\s+0\s+/m);
    const wide = ok(await kubectl(['get', 'deploy', '-o', 'wide']));
    expect(wide).toMatch(/CONTAINERS\s+IMAGES\s+SELECTOR/);
    expect(wide).toContain('nginx:1.25,busybox:1.36');
    const obj = JSON.parse(ok(await kubectl(['get', 'deploy', 'web', '-o', 'json'])));
    expect(obj.metadata.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(obj.metadata.generation).toBe(1);
    expect(obj.spec.strategy.rollingUpdate.maxSurge).toBe('25%');
    expect(obj.spec.template.spec.containers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(obj.spec.template.spec.restartPolicy).toBe('Always');
    expect(ok(await kubectl(['get', 'deploy', 'web', '-o', 'yaml']))).toContain('revisionHistoryLimit: 10');
    expect(ok(await kubectl(['get', 'deploy', '-o', 'name']))).toBe('deployment.apps/web\n');
  });

  it('applies twice with a change and merges containers by name', async () => {
    ok(
      await kubectl(['apply', '-f', '-'], deployment('nginx:1.25').replace('name: web\n', 'name: applied\n')),
    );
    const first = JSON.parse(ok(await kubectl(['get', 'deploy', 'applied', '-o', 'json'])));
    const out = ok(
      await kubectl(['apply', '-f', '-'], deployment('nginx:1.27').replace('name: web\n', 'name: applied\n')),
    );
    expect(out).toContain('deployment.apps/applied configured');
    const second = JSON.parse(ok(await kubectl(['get', 'deploy', 'applied', '-o', 'json'])));
    expect(second.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([
      'nginx:1.27',
      'busybox:1.36',
    ]);
    expect(second.metadata.generation).toBe(first.metadata.generation + 1);
    expect(
      ok(
        await kubectl(
          ['apply', '-f', '-'],
          deployment('nginx:1.27').replace('name: web\n', 'name: applied\n'),
        ),
      ),
    ).toContain('unchanged');
  });

  it('labels, annotates and patches with each patch type', async () => {
    ok(await kubectl(['create', 'configmap', 'cfg', '--from-literal=a=1']));
    ok(await kubectl(['label', 'configmap', 'cfg', 'tier=web']));
    ok(await kubectl(['annotate', 'configmap', 'cfg', 'note=hello']));
    ok(await kubectl(['patch', 'configmap', 'cfg', '--type=merge', '-p', '{"data":{"b":"2"}}']));
    ok(
      await kubectl([
        'patch',
        'configmap',
        'cfg',
        '--type=json',
        '-p',
        '[{"op":"replace","path":"/data/a","value":"9"}]',
      ]),
    );
    ok(
      await kubectl([
        'patch',
        'deploy',
        'web',
        '-p',
        '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.37"}]}}}}',
      ]),
    );
    const cm = JSON.parse(ok(await kubectl(['get', 'cm', 'cfg', '-o', 'json'])));
    expect(cm.metadata.labels.tier).toBe('web');
    expect(cm.metadata.annotations.note).toBe('hello');
    expect(cm.data).toEqual({ a: '9', b: '2' });
    const dep = JSON.parse(ok(await kubectl(['get', 'deploy', 'web', '-o', 'json'])));
    expect(dep.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual([
      'nginx:1.25',
      'busybox:1.37',
    ]);
    expect(ok(await kubectl(['get', 'cm', '-l', 'tier=web', '-o', 'name']))).toBe('configmap/cfg\n');
    expect(ok(await kubectl(['get', 'cm', '-l', 'tier!=web', '-o', 'name']))).not.toContain('configmap/cfg');
  });

  it('scales a deployment through the scale subresource', async () => {
    ok(await kubectl(['scale', 'deploy', 'web', '--replicas=5']));
    const dep = JSON.parse(ok(await kubectl(['get', 'deploy', 'web', '-o', 'json'])));
    expect(dep.spec.replicas).toBe(5);
  });

  it('creates typed objects from protobuf bodies', async () => {
    ok(await kubectl(['create', 'namespace', 'proto']));
    ok(
      await kubectl([
        'create',
        'deployment',
        'pd',
        '-n',
        'proto',
        '--image=nginx:1.25',
        '--replicas=0',
        '--port=80',
      ]),
    );
    ok(await kubectl(['create', 'secret', 'generic', 's1', '-n', 'proto', '--from-literal=k=v']));
    ok(await kubectl(['create', 'service', 'nodeport', 'np', '-n', 'proto', '--tcp=80:8080']));
    const dep = JSON.parse(ok(await kubectl(['get', 'deploy', 'pd', '-n', 'proto', '-o', 'json'])));
    expect(dep.spec.replicas).toBe(0);
    expect(dep.spec.template.spec.containers[0]).toMatchObject({
      name: 'nginx',
      image: 'nginx:1.25',
      ports: [{ containerPort: 80 }],
    });
    const secret = JSON.parse(ok(await kubectl(['get', 'secret', 's1', '-n', 'proto', '-o', 'json'])));
    expect(Buffer.from(secret.data.k, 'base64').toString()).toBe('v');
    const svc = JSON.parse(ok(await kubectl(['get', 'svc', 'np', '-n', 'proto', '-o', 'json'])));
    expect(svc.spec.type).toBe('NodePort');
    expect(svc.spec.ports[0].nodePort).toBeGreaterThanOrEqual(30000);
    expect(svc.spec.clusterIP).toMatch(/^10\.(9[6-9]|10[0-9]|11[01])\./);
    expect(ok(await kubectl(['auth', 'can-i', 'create', 'pods']))).toBe('yes\n');
    expect(ok(await kubectl(['auth', 'whoami']))).toContain('kubernetes-admin');
  });

  it('allocates a healthCheckNodePort to a LoadBalancer with externalTrafficPolicy Local, and frees it', async () => {
    const lb = (policy: string, hc?: number) => `apiVersion: v1
kind: Service
metadata: {name: lb-local}
spec:
  type: LoadBalancer
  externalTrafficPolicy: ${policy}
  selector: {app: x}
  ports: [{port: 80}]
${hc ? `  healthCheckNodePort: ${hc}\n` : ''}`;
    ok(await kubectl(['apply', '-f', '-'], lb('Local')));
    const get = async () => JSON.parse(ok(await kubectl(['get', 'svc', 'lb-local', '-o', 'json'])));
    const first = await get();
    const hc = first.spec.healthCheckNodePort as number;
    expect(hc).toBeGreaterThanOrEqual(30000);
    expect(hc).not.toBe(first.spec.ports[0].nodePort);
    ok(await kubectl(['apply', '-f', '-'], lb('Local', hc)));
    expect((await get()).spec.healthCheckNodePort).toBe(hc);
    ok(
      await kubectl([
        'patch',
        'svc',
        'lb-local',
        '--type=merge',
        '-p',
        '{"spec":{"externalTrafficPolicy":"Cluster","healthCheckNodePort":null}}',
      ]),
    );
    expect((await get()).spec.healthCheckNodePort).toBeUndefined();
    // The freed port can be claimed by another Service.
    ok(await kubectl(['create', 'service', 'nodeport', 'reuse', '--tcp=80', `--node-port=${hc}`]));
    ok(await kubectl(['delete', 'svc', 'lb-local', 'reuse']));
  });

  it('resolves pod priority from PriorityClasses (system ones, globalDefault) and refuses unknown ones', async () => {
    const classes = ok(await kubectl(['get', 'priorityclasses', '-o', 'jsonpath={.items[*].metadata.name}']));
    expect(classes.split(' ')).toEqual(
      expect.arrayContaining(['system-cluster-critical', 'system-node-critical']),
    );
    const podYaml = (name: string, extra = '') => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
${extra}  containers: [{name: c, image: busybox}]
`;
    ok(await kubectl(['create', '-f', '-'], podYaml('crit', '  priorityClassName: system-node-critical\n')));
    const crit = JSON.parse(ok(await kubectl(['get', 'pod', 'crit', '-o', 'json'])));
    expect(crit.spec.priority).toBe(2000001000);
    expect(crit.spec.preemptionPolicy).toBe('PreemptLowerPriority');
    const plain = await kubectl(['create', '-f', '-'], podYaml('plain'));
    expect(plain.code).toBe(0);
    expect(JSON.parse(ok(await kubectl(['get', 'pod', 'plain', '-o', 'json']))).spec.priority).toBe(0);
    const unknown = await kubectl(['create', '-f', '-'], podYaml('unknown', '  priorityClassName: nope\n'));
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('no PriorityClass with name nope was found');
    const mismatch = await kubectl(
      ['create', '-f', '-'],
      podYaml('mismatch', '  priorityClassName: system-node-critical\n  priority: 5\n'),
    );
    expect(mismatch.stderr).toContain('the integer value of priority (5) must not be provided in pod spec');
    ok(
      await kubectl(
        ['create', '-f', '-'],
        'apiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: everyone}\nvalue: 1000\nglobalDefault: true\npreemptionPolicy: Never\n',
      ),
    );
    ok(await kubectl(['create', '-f', '-'], podYaml('defaulted')));
    const defaulted = JSON.parse(ok(await kubectl(['get', 'pod', 'defaulted', '-o', 'json'])));
    expect(defaulted.spec.priorityClassName).toBe('everyone');
    expect(defaulted.spec.priority).toBe(1000);
    expect(defaulted.spec.preemptionPolicy).toBe('Never');
    ok(await kubectl(['delete', 'priorityclass', 'everyone']));
    ok(await kubectl(['delete', 'pod', 'crit', 'plain', 'defaulted']));
  });

  it('explains fields from the OpenAPI schemas', async () => {
    const out = ok(await kubectl(['explain', 'deployment.spec.template.spec.containers.image']));
    expect(out).toContain('FIELD: image <string>');
    expect(ok(await kubectl(['explain', 'pods']))).toMatch(/KIND:\s+Pod/);
  });

  it('watches changes with get -w', async () => {
    ok(await kubectl(['create', 'configmap', 'watched', '--from-literal=x=1']));
    const watching = kubectl(
      ['get', 'cm', 'watched', '-w', '-o', 'jsonpath={.data.x}{"\\n"}'],
      undefined,
      6000,
    );
    await new Promise((r) => setTimeout(r, 2000));
    ok(await kubectl(['patch', 'cm', 'watched', '--type=merge', '-p', '{"data":{"x":"2"}}']));
    const out = (await watching).stdout;
    expect(out.split('\n').filter(Boolean)).toEqual(['1', '2']);
  });

  it('deletes with a finalizer: the object stays until the finalizer is removed', async () => {
    ok(await kubectl(['create', 'configmap', 'fin']));
    ok(
      await kubectl([
        'patch',
        'cm',
        'fin',
        '--type=merge',
        '-p',
        '{"metadata":{"finalizers":["example.com/hold"]}}',
      ]),
    );
    ok(await kubectl(['delete', 'cm', 'fin', '--wait=false']));
    const held = JSON.parse(ok(await kubectl(['get', 'cm', 'fin', '-o', 'json'])));
    expect(held.metadata.deletionTimestamp).toBeTruthy();
    ok(
      await kubectl([
        'patch',
        'cm',
        'fin',
        '--type=json',
        '-p',
        '[{"op":"remove","path":"/metadata/finalizers"}]',
      ]),
    );
    const gone = await kubectl(['get', 'cm', 'fin']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('Error from server (NotFound): configmaps "fin" not found');
  });

  it('deletes an unscheduled pod at once and a scheduled one gracefully', async () => {
    const pod = (name: string, node = '') => `
apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  ${node ? `nodeName: ${node}` : ''}
  containers: [{name: c, image: busybox}]
`;
    ok(await kubectl(['create', '-f', '-'], pod('loose')));
    const p = JSON.parse(ok(await kubectl(['get', 'pod', 'loose', '-o', 'json'])));
    expect(p.status.phase).toBe('Pending');
    expect(p.status.qosClass).toBe('BestEffort');
    expect(p.spec.containers[0].imagePullPolicy).toBe('Always');
    ok(await kubectl(['delete', 'pod', 'loose']));
    expect((await kubectl(['get', 'pod', 'loose'])).code).toBe(1);

    ok(await kubectl(['create', '-f', '-'], pod('bound', 'node-a')));
    ok(await kubectl(['delete', 'pod', 'bound', '--wait=false']));
    const terminating = JSON.parse(ok(await kubectl(['get', 'pod', 'bound', '-o', 'json'])));
    expect(terminating.metadata.deletionGracePeriodSeconds).toBe(30);
    expect(ok(await kubectl(['get', 'pod', 'bound']))).toMatch(/bound\s+0\/1\s+Terminating/);
    ok(await kubectl(['delete', 'pod', 'bound', '--grace-period=0', '--force']));
    expect((await kubectl(['get', 'pod', 'bound'])).code).toBe(1);
  });

  it('prints readable errors for not found, conflict and invalid objects', async () => {
    const nf = await kubectl(['get', 'deploy', 'nope']);
    expect(nf.code).toBe(1);
    expect(nf.stderr).toContain('Error from server (NotFound): deployments.apps "nope" not found');

    const exists = await kubectl(
      ['create', '-f', '-'],
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cfg}\n',
    );
    expect(exists.code).toBe(1);
    expect(exists.stderr).toContain('Error from server (AlreadyExists)');
    expect(exists.stderr).toContain('configmaps "cfg" already exists');

    const cm = JSON.parse(ok(await kubectl(['get', 'cm', 'cfg', '-o', 'json'])));
    cm.metadata.resourceVersion = String(Number(cm.metadata.resourceVersion) - 1);
    const stale = await kubectl(['replace', '-f', '-'], JSON.stringify(cm));
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('Error from server (Conflict)');

    const bad = await kubectl(
      ['create', '-f', '-'],
      deployment('nginx')
        .replace('matchLabels: {app: web}', 'matchLabels: {app: other}')
        .replace('name: web\n', 'name: bad\n'),
    );
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('is invalid');
    expect(bad.stderr).toContain('`selector` does not match template `labels`');

    const unknown = await kubectl(
      ['create', '-f', '-'],
      deployment('nginx')
        .replace('replicas: 2', 'replicas: 2\n  replicaz: 3')
        .replace('name: web\n', 'name: unk\n'),
    );
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('unknown field "spec.replicaz"');
  });
});
