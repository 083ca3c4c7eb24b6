import { describe, expect, it } from 'vitest';
import { decodeObjectBody, parseAccept } from '../../../control-plane/apiserver/codec.js';
import { parsePath } from '../../../control-plane/apiserver/registry/unknown-fields.js';

describe('content negotiation', () => {
  it('recognises kubectl get Table requests', () => {
    const accept =
      'application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json';
    expect(parseAccept(accept).table).toBe(true);
    expect(parseAccept('application/json').table).toBe(false);
  });

  it('recognises aggregated discovery requests', () => {
    const accept =
      'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,application/json';
    expect(parseAccept(accept).aggregatedDiscovery).toBe('v2');
  });

  it('decodes JSON and YAML, rejects unknown media types and garbage', () => {
    expect(decodeObjectBody('application/json', Buffer.from('{"a":1}'))).toEqual({ a: 1 });
    expect(decodeObjectBody('application/yaml', Buffer.from('a: 1\n'))).toEqual({ a: 1 });
    expect(() => decodeObjectBody('application/json', Buffer.from('{'))).toThrow(/json parse error/);
    expect(() => decodeObjectBody('text/plain', Buffer.from('x'))).toThrow(/unknown format/);
    expect(() => decodeObjectBody('application/json', Buffer.alloc(0))).toThrow(/empty/);
  });

  it('splits unknown-field paths into segments', () => {
    expect(parsePath('spec.containers[0].imagee')).toEqual(['spec', 'containers', 0, 'imagee']);
  });
});
