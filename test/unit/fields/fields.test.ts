import { describe, expect, it } from 'vitest';
import { StatusError } from '../../../api/errors.js';
import {
  escapeFieldValue,
  fieldsOf,
  parseFieldSelector,
  supportedFieldLabels,
  validateFieldSelector,
} from '../../../api/fields.js';
import type { KubeObject } from '../../../api/object.js';

const POD = { group: '', kind: 'Pod' };

function rejection(fn: () => unknown): StatusError {
  try {
    fn();
  } catch (e) {
    if (e instanceof StatusError) return e;
    throw e;
  }
  throw new Error('expected a StatusError');
}

describe('parseFieldSelector', () => {
  it('parses =, == and != terms', () => {
    const m = parseFieldSelector('a=1,b==2,c!=3');
    expect(m.requirements()).toEqual([
      { field: 'a', operator: '=', value: '1' },
      { field: 'b', operator: '=', value: '2' },
      { field: 'c', operator: '!=', value: '3' },
    ]);
    expect(m.matches({ a: '1', b: '2', c: '4' })).toBe(true);
    expect(m.matches({ a: '1', b: '2', c: '3' })).toBe(false);
  });

  it('compares missing fields as the empty string', () => {
    expect(parseFieldSelector('a=').matches({})).toBe(true);
    expect(parseFieldSelector('a!=x').matches({})).toBe(true);
    expect(parseFieldSelector('a=x').matches({})).toBe(false);
  });

  it('unescapes \\, \\= and \\\\ in values and splits only on bare commas', () => {
    const m = parseFieldSelector('a=x\\,y,b=p\\=q,c=back\\\\slash');
    expect(m.requirements().map((r) => r.value)).toEqual(['x,y', 'p=q', 'back\\slash']);
    expect(m.matches({ a: 'x,y', b: 'p=q', c: 'back\\slash' })).toBe(true);
  });

  it('escapes values when printing so the text parses back', () => {
    expect(escapeFieldValue('a,b=c\\d')).toBe('a\\,b\\=c\\\\d');
    const m = parseFieldSelector('a=x\\,y');
    expect(parseFieldSelector(m.toString()).matches({ a: 'x,y' })).toBe(true);
  });

  it('is empty for empty text and skips empty terms', () => {
    expect(parseFieldSelector('').empty).toBe(true);
    expect(parseFieldSelector('a=b,').requirements()).toHaveLength(1);
  });

  it('rejects a term without an operator', () => {
    const e = rejection(() => parseFieldSelector('a=b,c'));
    expect(e.code).toBe(400);
    expect(e.message).toBe("invalid selector: 'a=b,c'; can't understand 'c'");
  });

  it('rejects an invalid escape and an unescaped =', () => {
    expect(rejection(() => parseFieldSelector('a=x\\y')).message).toBe(
      'invalid field selector: invalid escape sequence: \\y',
    );
    expect(rejection(() => parseFieldSelector('a=b=c')).message).toBe(
      'invalid field selector: unescaped character in value: =',
    );
  });
});

describe('fieldsOf', () => {
  it('gives the selectable fields of a pod', () => {
    const pod: KubeObject = {
      metadata: { name: 'p', namespace: 'ns' },
      spec: {
        nodeName: 'n1',
        restartPolicy: 'Always',
        schedulerName: 'default-scheduler',
        serviceAccountName: 'sa',
        hostNetwork: true,
      },
      status: { phase: 'Running', podIPs: [{ ip: '10.0.0.5' }], nominatedNodeName: 'n2' },
    };
    expect(fieldsOf(POD, pod)).toMatchObject({
      'metadata.name': 'p',
      'metadata.namespace': 'ns',
      'spec.nodeName': 'n1',
      'spec.restartPolicy': 'Always',
      'spec.schedulerName': 'default-scheduler',
      'spec.serviceAccountName': 'sa',
      'spec.hostNetwork': 'true',
      'status.phase': 'Running',
      'status.podIP': '10.0.0.5',
      'status.nominatedNodeName': 'n2',
    });
    expect(fieldsOf(POD, { metadata: { name: 'q' } })['spec.hostNetwork']).toBe('false');
  });

  it('gives node, secret, namespace, service and job fields', () => {
    expect(
      fieldsOf({ group: '', kind: 'Node' }, { metadata: { name: 'n' }, spec: { unschedulable: true } }),
    ).toEqual({
      'metadata.name': 'n',
      'spec.unschedulable': 'true',
    });
    expect(
      fieldsOf({ group: '', kind: 'Secret' }, { metadata: { name: 's', namespace: 'd' }, type: 'Opaque' })
        .type,
    ).toBe('Opaque');
    expect(
      fieldsOf({ group: '', kind: 'Namespace' }, { metadata: { name: 'd' }, status: { phase: 'Active' } })[
        'status.phase'
      ],
    ).toBe('Active');
    expect(
      fieldsOf(
        { group: '', kind: 'Service' },
        { metadata: { name: 's' }, spec: { clusterIP: '10.96.0.1', type: 'ClusterIP' } },
      ),
    ).toMatchObject({
      'spec.clusterIP': '10.96.0.1',
      'spec.type': 'ClusterIP',
    });
    expect(
      fieldsOf({ group: 'batch', kind: 'Job' }, { metadata: { name: 'j' }, status: { succeeded: 2 } })[
        'status.successful'
      ],
    ).toBe('2');
  });

  it('selects core events the way kubectl describe asks', () => {
    const ev: KubeObject = {
      metadata: { name: 'e', namespace: 'default' },
      involvedObject: { kind: 'Pod', name: 'web', namespace: 'default', uid: 'u1' },
      reason: 'Scheduled',
      source: { component: 'default-scheduler' },
      type: 'Normal',
    };
    const sel = parseFieldSelector(
      'involvedObject.name=web,involvedObject.namespace=default,involvedObject.uid=u1',
    );
    validateFieldSelector({ group: '', kind: 'Event' }, sel);
    expect(sel.matches(fieldsOf({ group: '', kind: 'Event' }, ev))).toBe(true);
    expect(fieldsOf({ group: '', kind: 'Event' }, ev).source).toBe('default-scheduler');
  });

  it('maps events.k8s.io labels onto the event fields', () => {
    const res = { group: 'events.k8s.io', kind: 'Event' };
    const ev: KubeObject = {
      metadata: { name: 'e' },
      regarding: { kind: 'Pod', name: 'web' },
      reportingController: 'kubelet',
    };
    const sel = parseFieldSelector('regarding.name=web,reportingController=kubelet');
    expect(
      validateFieldSelector(res, sel)
        .requirements()
        .map((r) => r.field),
    ).toEqual(['involvedObject.name', 'reportingComponent']);
    expect(sel.matches(fieldsOf(res, ev))).toBe(true);
    expect(validateFieldSelector(res, sel).matches(fieldsOf(res, ev))).toBe(true);
  });
});

describe('validateFieldSelector', () => {
  it('accepts metadata.name on every kind', () => {
    for (const kind of ['Pod', 'ConfigMap', 'Node', 'Namespace']) {
      expect(() =>
        validateFieldSelector({ group: '', kind }, parseFieldSelector('metadata.name=x')),
      ).not.toThrow();
    }
    expect(() =>
      validateFieldSelector({ group: 'apps', kind: 'Deployment' }, parseFieldSelector('metadata.name=x')),
    ).not.toThrow();
  });

  it('rejects an unsupported pod field with upstream wording', () => {
    const e = rejection(() => validateFieldSelector(POD, parseFieldSelector('spec.foo=bar')));
    expect(e.code).toBe(400);
    expect(e.reason).toBe('BadRequest');
    expect(e.message).toBe('field label not supported: spec.foo');
  });

  it('rejects unknown fields of kinds with only metadata fields', () => {
    const e = rejection(() =>
      validateFieldSelector({ group: 'apps', kind: 'Deployment' }, parseFieldSelector('status.replicas=1')),
    );
    expect(e.message).toBe(
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it('converts the legacy pod label spec.host to spec.nodeName', () => {
    const m = validateFieldSelector(POD, parseFieldSelector('spec.host=n1'));
    expect(m.requirements()[0].field).toBe('spec.nodeName');
    expect(m.matches(fieldsOf(POD, { metadata: { name: 'p' }, spec: { nodeName: 'n1' } }))).toBe(true);
  });

  it('lists what a kind supports', () => {
    expect(supportedFieldLabels({ group: '', kind: 'Node' })).toEqual([
      'metadata.name',
      'spec.unschedulable',
    ]);
  });
});
