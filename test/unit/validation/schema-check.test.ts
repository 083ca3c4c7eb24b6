import { describe, expect, it } from 'vitest';
import { pointerToField, schemaCheck } from '../../../api/validation/schema-check.js';
import { create, GVK, lines, podSpec, podTemplate } from './helpers.js';

describe('schema type checks', () => {
  it('reports a string where an integer belongs, with a dotted path', () => {
    const spec = { containers: [{ name: 'app', image: 'a:1', ports: [{ containerPort: '80' }] }] };
    expect(create(GVK.pod, { spec })).toEqual([
      {
        field: 'spec.containers[0].ports[0].containerPort',
        type: 'FieldValueInvalid',
        message: 'Invalid value: "80": must be integer',
      },
    ]);
  });

  it('reports a wrong type in an int-or-string field once', () => {
    expect(lines(create(GVK.service, { spec: { ports: [{ port: 80, targetPort: true }] } }))).toEqual([
      'spec.ports[0].targetPort: Invalid value: true: must be string or integer',
    ]);
  });

  it('reports objects where lists belong and stops before the semantic rules', () => {
    const errs = lines(
      create(GVK.deployment, { spec: { replicas: 'three', selector: {}, template: podTemplate() } }),
    );
    expect(errs).toEqual(['spec.replicas: Invalid value: "three": must be integer']);
    expect(lines(create(GVK.pod, { spec: { containers: { name: 'app' } } }))).toEqual([
      'spec.containers: Invalid value: "object": must be array',
    ]);
  });

  it('accepts numbers and strings for quantities and int-or-string ports', () => {
    const spec = podSpec({
      containers: [{ name: 'app', image: 'a:1', resources: { limits: { cpu: 1, memory: '1Gi' } } }],
    });
    expect(create(GVK.pod, { spec })).toEqual([]);
    expect(
      create(GVK.service, {
        spec: {
          ports: [
            { name: 'a', port: 80, targetPort: 'http' },
            { name: 'b', port: 81, targetPort: 8081 },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('does not choke on status fields', () => {
    const status = {
      phase: 'Running',
      conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01T00:00:00Z' }],
      startTime: '2024-01-01T00:00:00Z',
      containerStatuses: [
        { name: 'app', image: 'a:1', imageID: '', ready: true, restartCount: 0, state: { running: {} } },
      ],
    };
    expect(create(GVK.pod, { spec: podSpec(), status })).toEqual([]);
  });

  it('does not enforce OpenAPI required lists, which upstream decodes as empty values', () => {
    const status = { nodeInfo: { kubeletVersion: 'v1.30.0-skiff', architecture: 'amd64' } };
    expect(create(GVK.node, { status }, { namespace: undefined })).toEqual([]);
  });

  it('reports enum misses where no semantic rule spoke', () => {
    expect(lines(create(GVK.pod, { spec: podSpec(), status: { phase: 'Wat' } }))).toEqual([
      'status.phase: Unsupported value: "Wat": supported values: "Failed", "Pending", "Running", "Succeeded", "Unknown"',
    ]);
  });

  it('leaves kinds it has no model for alone', () => {
    expect(schemaCheck('example.com', 'v1', 'Widget', { metadata: {} })).toEqual({
      typeErrors: [],
      soft: [],
    });
  });

  it('turns JSON pointers into field paths', () => {
    expect(pointerToField('/spec/containers/0/ports/1/name')).toBe('spec.containers[0].ports[1].name');
    expect(pointerToField('/metadata/labels/example.com~1x')).toBe('metadata.labels.example.com/x');
    expect(pointerToField('')).toBe('');
  });

  it('takes a few milliseconds at most per object', () => {
    const start = performance.now();
    for (let i = 0; i < 200; i++) create(GVK.pod, { spec: podSpec() });
    expect((performance.now() - start) / 200).toBeLessThan(5);
  });
});
