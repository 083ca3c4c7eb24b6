import { describe, expect, it } from 'vitest';
import { create, GVK, type Loose, lines, make, podTemplate, update } from './helpers.js';

const selector = { matchLabels: { app: 'web' } };

describe('deployment validation', () => {
  it('accepts a defaulted deployment', () => {
    expect(create(GVK.deployment, { spec: { selector, template: podTemplate() } })).toEqual([]);
  });

  it('requires a selector', () => {
    expect(lines(create(GVK.deployment, { spec: { template: podTemplate() } }))).toEqual([
      'spec.selector: Required value',
    ]);
  });

  it('rejects an empty selector and one that does not match the template', () => {
    expect(lines(create(GVK.deployment, { spec: { selector: {}, template: podTemplate() } }))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for deployment',
    ]);
    expect(
      lines(create(GVK.deployment, { spec: { selector, template: podTemplate({ app: 'api' }) } })),
    ).toEqual([
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"api"}: `selector` does not match template `labels`',
    ]);
  });

  it('matches selector expressions', () => {
    const sel = { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] };
    expect(create(GVK.deployment, { spec: { selector: sel, template: podTemplate() } })).toEqual([]);
    const bad = {
      matchExpressions: [
        { key: 'app', operator: 'Near', values: ['web'] },
        { key: 'x', operator: 'In' },
      ],
    };
    expect(lines(create(GVK.deployment, { spec: { selector: bad, template: podTemplate() } }))).toEqual([
      'spec.selector.matchExpressions[0].operator: Invalid value: "Near": not a valid selector operator',
      "spec.selector.matchExpressions[1].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
      'spec.template.metadata.labels: Invalid value: map[string]string{"app":"web"}: `selector` does not match template `labels`',
    ]);
  });

  it('rejects negative replicas and a template that does not restart always', () => {
    expect(
      lines(
        create(GVK.deployment, {
          spec: { replicas: -1, selector, template: podTemplate({ app: 'web' }, { restartPolicy: 'Never' }) },
        }),
      ),
    ).toEqual([
      'spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    ]);
  });

  it('checks the rollout strategy', () => {
    const spec = (strategy: unknown) => ({ spec: { selector, template: podTemplate(), strategy } });
    expect(lines(create(GVK.deployment, spec({ type: 'Recreate', rollingUpdate: { maxSurge: 1 } })))).toEqual(
      ["spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'"],
    );
    expect(
      lines(
        create(
          GVK.deployment,
          spec({ type: 'RollingUpdate', rollingUpdate: { maxSurge: 0, maxUnavailable: 0 } }),
        ),
      ),
    ).toEqual([
      'spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
    expect(
      lines(
        create(
          GVK.deployment,
          spec({ type: 'RollingUpdate', rollingUpdate: { maxSurge: '150%', maxUnavailable: 'half' } }),
        ),
      ),
    ).toEqual([
      "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"half\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
      'spec.strategy.rollingUpdate.maxSurge: Invalid value: "150%": must not be greater than 100%',
    ]);
    expect(lines(create(GVK.deployment, spec({ type: 'BlueGreen' })))).toEqual([
      'spec.strategy.type: Unsupported value: "BlueGreen": supported values: "Recreate", "RollingUpdate"',
    ]);
  });

  it('requires progressDeadlineSeconds above minReadySeconds', () => {
    expect(
      lines(
        create(GVK.deployment, {
          spec: { selector, template: podTemplate(), minReadySeconds: 30, progressDeadlineSeconds: 30 },
        }),
      ),
    ).toEqual(['spec.progressDeadlineSeconds: Invalid value: 30: must be greater than minReadySeconds']);
  });

  it('validates the pod template like a pod', () => {
    const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app' }] } };
    expect(lines(create(GVK.deployment, { spec: { selector, template } }))).toEqual([
      'spec.template.spec.containers[0].image: Required value',
    ]);
  });

  it('keeps the selector immutable but lets the template and replicas change', () => {
    const old = make(GVK.deployment, { spec: { selector, template: podTemplate() } });
    const next: Loose = structuredClone(old);
    next.spec.replicas = 5;
    next.spec.template.spec.containers[0].image = 'nginx:2';
    expect(update(GVK.deployment, next, old)).toEqual([]);
    next.spec.selector = { matchLabels: { app: 'web', tier: 'front' } };
    next.spec.template.metadata.labels.tier = 'front';
    expect(lines(update(GVK.deployment, next, old))).toEqual([
      'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "tier":"front"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
    ]);
  });
});

describe('replicaset, daemonset and statefulset validation', () => {
  it('accepts defaulted objects', () => {
    expect(create(GVK.replicaSet, { spec: { selector, template: podTemplate() } })).toEqual([]);
    expect(create(GVK.daemonSet, { spec: { selector, template: podTemplate() } })).toEqual([]);
    expect(
      create(GVK.statefulSet, { spec: { selector, serviceName: 'web', template: podTemplate() } }),
    ).toEqual([]);
  });

  it('names the kind in the empty-selector message', () => {
    expect(lines(create(GVK.daemonSet, { spec: { selector: {}, template: podTemplate() } }))[0]).toMatch(
      /empty selector is invalid for daemonset$/,
    );
    expect(lines(create(GVK.statefulSet, { spec: { selector: {}, template: podTemplate() } }))[0]).toMatch(
      /empty selector is invalid for statefulset$/,
    );
  });

  it('checks the DaemonSet update strategy', () => {
    const errs = lines(
      create(GVK.daemonSet, {
        spec: {
          selector,
          template: podTemplate(),
          updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } },
        },
      }),
    );
    expect(errs).toEqual([
      'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0',
    ]);
  });

  it('checks StatefulSet enums', () => {
    const errs = lines(
      create(GVK.statefulSet, {
        spec: {
          selector,
          template: podTemplate(),
          podManagementPolicy: 'Random',
          persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Keep' },
        },
      }),
    );
    expect(errs).toContain(
      "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
    );
    expect(errs).toContain(
      'spec.persistentVolumeClaimRetentionPolicy.whenDeleted: Unsupported value: "Keep": supported values: "Retain", "Delete"',
    );
  });

  it('forbids StatefulSet spec changes outside the mutable fields', () => {
    const old = make(GVK.statefulSet, { spec: { selector, serviceName: 'web', template: podTemplate() } });
    const next: Loose = structuredClone(old);
    next.spec.replicas = 3;
    expect(update(GVK.statefulSet, next, old)).toEqual([]);
    next.spec.serviceName = 'other';
    expect(lines(update(GVK.statefulSet, next, old))).toEqual([
      "spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden",
    ]);
  });

  it('keeps ReplicaSet and DaemonSet selectors immutable', () => {
    for (const gvk of [GVK.replicaSet, GVK.daemonSet]) {
      const old = make(gvk, { spec: { selector, template: podTemplate() } });
      const next: Loose = structuredClone(old);
      next.spec.selector = { matchLabels: { app: 'web', v: '2' } };
      next.spec.template.metadata.labels.v = '2';
      expect(lines(update(gvk, next, old))[0]).toMatch(
        /^spec\.selector: Invalid value: .*: field is immutable$/,
      );
    }
  });
});
