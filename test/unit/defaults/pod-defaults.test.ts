import { describe, expect, it } from 'vitest';
import { applyDefaults, defaultPullPolicy } from '../../../api/defaults/index.js';
import type { KubeObject } from '../../../api/object.js';

const POD = { group: '', version: 'v1', kind: 'Pod' };

type Loose = any;

function defaultedPod(spec: Record<string, unknown>): Loose {
  const obj: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default' },
    spec,
  };
  applyDefaults(POD, obj);
  return obj;
}

describe('pod defaults', () => {
  it('fills the pod spec fields upstream defaults', () => {
    const pod = defaultedPod({ containers: [{ name: 'c', image: 'nginx:1.25' }] });
    expect(pod.spec).toMatchObject({
      restartPolicy: 'Always',
      dnsPolicy: 'ClusterFirst',
      terminationGracePeriodSeconds: 30,
      schedulerName: 'default-scheduler',
      securityContext: {},
      enableServiceLinks: true,
      serviceAccountName: 'default',
      serviceAccount: 'default',
    });
    expect(pod.spec.containers[0]).toEqual({
      name: 'c',
      image: 'nginx:1.25',
      imagePullPolicy: 'IfNotPresent',
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
    });
  });

  it('keeps values the client set', () => {
    const pod = defaultedPod({
      containers: [{ name: 'c', image: 'busybox', imagePullPolicy: 'Never' }],
      restartPolicy: 'Never',
      terminationGracePeriodSeconds: 0,
      serviceAccountName: 'builder',
      enableServiceLinks: false,
    });
    expect(pod.spec.restartPolicy).toBe('Never');
    expect(pod.spec.terminationGracePeriodSeconds).toBe(0);
    expect(pod.spec.enableServiceLinks).toBe(false);
    expect(pod.spec.serviceAccountName).toBe('builder');
    expect(pod.spec.serviceAccount).toBe('builder');
    expect(pod.spec.containers[0].imagePullPolicy).toBe('Never');
  });

  it('chooses the pull policy from the image tag', () => {
    expect(defaultPullPolicy('nginx')).toBe('Always');
    expect(defaultPullPolicy('nginx:latest')).toBe('Always');
    expect(defaultPullPolicy('nginx:1.25')).toBe('IfNotPresent');
    expect(defaultPullPolicy('localhost:5000/app')).toBe('Always');
    expect(defaultPullPolicy('localhost:5000/app:v2')).toBe('IfNotPresent');
    expect(defaultPullPolicy('nginx@sha256:0123abcd')).toBe('IfNotPresent');
  });

  it('defaults ports, probes, env field refs and init containers', () => {
    const pod = defaultedPod({
      initContainers: [{ name: 'init', image: 'busybox:1' }],
      containers: [
        {
          name: 'c',
          image: 'app:1',
          ports: [{ containerPort: 80 }],
          env: [{ name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }],
          livenessProbe: { httpGet: { port: 80 } },
          readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 5 },
        },
      ],
    });
    const c = pod.spec.containers[0];
    expect(c.ports[0].protocol).toBe('TCP');
    expect(c.ports[0].hostPort).toBeUndefined();
    expect(c.env[0].valueFrom.fieldRef.apiVersion).toBe('v1');
    expect(c.livenessProbe).toEqual({
      httpGet: { port: 80, path: '/', scheme: 'HTTP' },
      timeoutSeconds: 1,
      periodSeconds: 10,
      successThreshold: 1,
      failureThreshold: 3,
    });
    expect(c.readinessProbe.periodSeconds).toBe(5);
    expect(pod.spec.initContainers[0].imagePullPolicy).toBe('IfNotPresent');
    expect(pod.spec.initContainers[0].terminationMessagePolicy).toBe('File');
  });

  it('copies containerPort to hostPort on the host network', () => {
    const pod = defaultedPod({
      hostNetwork: true,
      containers: [{ name: 'c', image: 'a:1', ports: [{ containerPort: 9100 }] }],
    });
    expect(pod.spec.containers[0].ports[0].hostPort).toBe(9100);
  });

  it('defaults requests to limits for resources with only a limit', () => {
    const pod = defaultedPod({
      containers: [
        {
          name: 'c',
          image: 'a:1',
          resources: { limits: { cpu: '500m', memory: '128Mi' }, requests: { cpu: '100m' } },
        },
      ],
    });
    expect(pod.spec.containers[0].resources.requests).toEqual({ cpu: '100m', memory: '128Mi' });
  });

  it('defaults volume modes and turns a sourceless volume into an emptyDir', () => {
    const pod = defaultedPod({
      containers: [{ name: 'c', image: 'a:1' }],
      volumes: [
        { name: 'cfg', configMap: { name: 'cm' } },
        { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
        { name: 'scratch' },
        { name: 'info', downwardAPI: { items: [{ path: 'n', fieldRef: { fieldPath: 'metadata.name' } }] } },
      ],
    });
    const [cfg, sec, scratch, info] = pod.spec.volumes;
    expect(cfg.configMap.defaultMode).toBe(420);
    expect(sec.secret.defaultMode).toBe(0o400);
    expect(scratch).toEqual({ name: 'scratch', emptyDir: {} });
    expect(info.downwardAPI.defaultMode).toBe(420);
    expect(info.downwardAPI.items[0].fieldRef.apiVersion).toBe('v1');
  });

  it('leaves priority to the server (Priority admission)', () => {
    const pod = defaultedPod({ priorityClassName: 'high', containers: [{ name: 'c', image: 'a:1' }] });
    expect(pod.spec.priority).toBeUndefined();
  });

  it('leaves a pod without spec alone', () => {
    const obj: KubeObject = { metadata: { name: 'p' } };
    applyDefaults(POD, obj);
    expect(obj).toEqual({ metadata: { name: 'p' } });
  });
});
