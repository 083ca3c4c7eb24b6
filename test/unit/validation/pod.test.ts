import { describe, expect, it } from 'vitest';
import { create, GVK, type Loose, lines, make, podSpec, update } from './helpers.js';

const pod = (spec: Record<string, unknown>) => create(GVK.pod, { spec });

describe('pod validation', () => {
  it('accepts a defaulted minimal pod', () => {
    expect(pod(podSpec())).toEqual([]);
  });

  it('requires containers', () => {
    expect(lines(pod({ containers: [] }))).toEqual(['spec.containers: Required value']);
  });

  it('requires container names and images, as DNS labels and unique', () => {
    const errs = lines(
      pod({
        containers: [
          { name: 'app', image: 'a:1' },
          { name: 'app', image: 'b:1' },
          { name: 'Bad_Name', image: 'c:1' },
          { name: 'noimage' },
        ],
        initContainers: [{ name: 'app', image: 'd:1' }],
      }),
    );
    expect(errs).toContain('spec.containers[1].name: Duplicate value: "app"');
    expect(
      errs.some((e) =>
        e.startsWith('spec.containers[2].name: Invalid value: "Bad_Name": a lowercase RFC 1123 label'),
      ),
    ).toBe(true);
    expect(errs).toContain('spec.containers[3].image: Required value');
    expect(errs).toContain('spec.initContainers[0].name: Duplicate value: "app"');
    expect(errs).toHaveLength(4);
  });

  it('checks container ports: range, unique names, protocol', () => {
    const errs = lines(
      pod({
        containers: [
          {
            name: 'app',
            image: 'a:1',
            ports: [
              { name: 'http', containerPort: 70000 },
              { name: 'http', containerPort: 81 },
              { containerPort: 82, protocol: 'ICMP' },
              { name: 'Not_Valid', containerPort: 83 },
            ],
          },
        ],
      }),
    );
    expect(errs).toEqual([
      'spec.containers[0].ports[0].containerPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
      'spec.containers[0].ports[1].name: Duplicate value: "http"',
      'spec.containers[0].ports[2].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
      'spec.containers[0].ports[3].name: Invalid value: "Not_Valid": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
    ]);
  });

  it('checks restartPolicy and dnsPolicy against their enums', () => {
    expect(lines(pod(podSpec({ restartPolicy: 'Sometimes', dnsPolicy: 'Google' })))).toEqual([
      'spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"',
      'spec.dnsPolicy: Unsupported value: "Google": supported values: "ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"',
    ]);
  });

  it('requires requests to be at most limits', () => {
    const spec = {
      containers: [
        {
          name: 'app',
          image: 'a:1',
          resources: { requests: { cpu: '2', memory: '64Mi' }, limits: { cpu: '1500m', memory: '1Gi' } },
        },
      ],
    };
    expect(pod(spec)).toEqual([
      {
        field: 'spec.containers[0].resources.requests[cpu]',
        type: 'FieldValueInvalid',
        message: 'Invalid value: "2": must be less than or equal to cpu limit of 1500m',
      },
    ]);
  });

  it('compares quantities exactly and prints them canonically', () => {
    const resources = { requests: { memory: '2048Mi', cpu: '0.5' }, limits: { memory: '1Gi', cpu: '500m' } };
    expect(lines(pod({ containers: [{ name: 'app', image: 'a:1', resources }] }))).toEqual([
      'spec.containers[0].resources.requests[memory]: Invalid value: "2Gi": must be less than or equal to memory limit of 1Gi',
    ]);
  });

  it('rejects malformed and negative quantities', () => {
    const errs = lines(
      pod({
        containers: [{ name: 'app', image: 'a:1', resources: { limits: { cpu: 'lots', memory: '-1Gi' } } }],
      }),
    );
    expect(errs[0]).toMatch(
      /^spec\.containers\[0\]\.resources\.limits\[cpu\]: Invalid value: "lots": quantities must match/,
    );
    expect(errs).toContain(
      'spec.containers[0].resources.limits[memory]: Invalid value: "-1Gi": must be greater than or equal to 0',
    );
  });

  it('requires unique volume names and exactly one source', () => {
    const errs = lines(
      pod(
        podSpec({
          volumes: [
            { name: 'data', emptyDir: {} },
            { name: 'data', emptyDir: {} },
            { name: 'both', emptyDir: {}, secret: { secretName: 's' } },
            { name: 'cm', configMap: {} },
          ],
        }),
      ),
    );
    expect(errs).toEqual([
      'spec.volumes[1].name: Duplicate value: "data"',
      'spec.volumes[2].secret: Forbidden: may not specify more than 1 volume type',
      'spec.volumes[3].configMap.name: Required value',
    ]);
  });

  it('requires volume mounts to name a volume of the pod', () => {
    const spec = {
      volumes: [{ name: 'data', emptyDir: {} }],
      containers: [
        {
          name: 'app',
          image: 'a:1',
          volumeMounts: [
            { name: 'data', mountPath: '/data' },
            { name: 'missing', mountPath: '/other' },
            { name: 'data', mountPath: '/data' },
          ],
        },
      ],
    };
    expect(lines(pod(spec))).toEqual([
      'spec.containers[0].volumeMounts[1].name: Not found: "missing"',
      'spec.containers[0].volumeMounts[2].mountPath: Invalid value: "/data": must be unique',
    ]);
  });

  it('checks env names and value sources', () => {
    const spec = {
      containers: [
        {
          name: 'app',
          image: 'a:1',
          env: [
            { name: '1BAD', value: 'x' },
            { name: 'BOTH', value: 'x', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
            { name: 'FIELD', valueFrom: { fieldRef: { fieldPath: 'spec.bogus' } } },
            { name: 'LABEL', valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
          ],
        },
      ],
    };
    const errs = lines(pod(spec));
    expect(errs[0]).toMatch(
      /^spec\.containers\[0\]\.env\[0\]\.name: Invalid value: "1BAD": a valid environment variable name/,
    );
    expect(errs[1]).toBe(
      'spec.containers[0].env[1].valueFrom: Invalid value: "": may not be specified when `value` is not empty',
    );
    expect(errs[2]).toMatch(
      /^spec\.containers\[0\]\.env\[2\]\.valueFrom\.fieldRef\.fieldPath: Unsupported value: "spec.bogus"/,
    );
    expect(errs).toHaveLength(3);
  });

  it('checks probes and tolerations', () => {
    const spec = {
      containers: [
        { name: 'app', image: 'a:1', livenessProbe: { successThreshold: 2, exec: { command: ['true'] } } },
      ],
      tolerations: [
        { key: 'k', operator: 'Exists', value: 'v' },
        { operator: 'Equal', value: 'v' },
        { key: 'k', effect: 'NoSchedule', tolerationSeconds: 10 },
        { key: 'k', effect: 'Sometimes' },
      ],
    };
    expect(lines(pod(spec))).toEqual([
      'spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1',
      'spec.tolerations[0].operator: Invalid value: "v": value must be empty when `operator` is \'Exists\'',
      'spec.tolerations[1].operator: Invalid value: "Equal": operator must be Exists when `key` is empty, which means "match all values and all keys"',
      'spec.tolerations[2].effect: Invalid value: "NoSchedule": effect must be \'NoExecute\' when `tolerationSeconds` is set',
      'spec.tolerations[3].effect: Unsupported value: "Sometimes": supported values: "NoExecute", "NoSchedule", "PreferNoSchedule"',
    ]);
  });
});

describe('pod update', () => {
  const old = make(
    GVK.pod,
    { spec: podSpec({ tolerations: [{ key: 'a', operator: 'Exists' }] }) },
    { uid: 'u' },
  );

  it('allows image, activeDeadlineSeconds and added tolerations to change', () => {
    const next: Loose = structuredClone(old);
    next.spec.containers[0].image = 'nginx:1.27';
    next.spec.activeDeadlineSeconds = 30;
    next.spec.tolerations = [
      { key: 'a', operator: 'Exists' },
      { key: 'b', operator: 'Exists' },
    ];
    expect(update(GVK.pod, next, old)).toEqual([]);
  });

  it('allows binding to set nodeName once', () => {
    const next: Loose = structuredClone(old);
    next.spec.nodeName = 'node-1';
    expect(update(GVK.pod, next, old)).toEqual([]);
  });

  it('forbids other spec changes with upstream message', () => {
    const next: Loose = structuredClone(old);
    next.spec.restartPolicy = 'Never';
    const errs = update(GVK.pod, next, old);
    expect(errs).toHaveLength(1);
    expect(errs[0].field).toBe('spec');
    expect(errs[0].type).toBe('FieldValueForbidden');
    expect(errs[0].message).toMatch(
      /^Forbidden: pod updates may not change fields other than `spec.containers\[\*\]\.image`,`spec.initContainers\[\*\]\.image`,`spec.activeDeadlineSeconds`,`spec.tolerations` \(only additions to existing tolerations\),`spec.terminationGracePeriodSeconds` \(allow it to be set to 1 if it was previously negative\)\n/,
    );
    expect(errs[0].message).toContain('restartPolicy');
  });

  it('forbids removing a toleration or clearing an image', () => {
    const next: Loose = structuredClone(old);
    next.spec.tolerations = [];
    next.spec.containers[0].image = '';
    const errs = lines(update(GVK.pod, next, old));
    expect(errs).toContain('spec.containers[0].image: Required value');
    expect(errs.some((e) => e.startsWith('spec: Forbidden: pod updates may not change fields'))).toBe(true);
  });

  it('does not let activeDeadlineSeconds grow', () => {
    const withDeadline = make(GVK.pod, { spec: podSpec({ activeDeadlineSeconds: 10 }) });
    const next: Loose = structuredClone(withDeadline);
    next.spec.activeDeadlineSeconds = 20;
    expect(lines(update(GVK.pod, next, withDeadline))).toEqual([
      'spec.activeDeadlineSeconds: Invalid value: 20: must be less than or equal to previous value',
    ]);
  });
});

describe('pod update against an older stored pod', () => {
  it('does not count defaults the stored pod lacks as a change', () => {
    const stored: Loose = make(GVK.pod, { spec: podSpec() });
    delete stored.spec.enableServiceLinks;
    delete stored.spec.containers[0].terminationMessagePath;
    const next: Loose = structuredClone(stored);
    next.metadata.labels = { touched: 'yes' };
    expect(update(GVK.pod, next, stored)).toEqual([]);
  });
});
